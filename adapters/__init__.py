"""Implementations of the domain's ports: database, SMS, captcha images, password hashing, logging."""
