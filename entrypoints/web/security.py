"""Defences that wrap every request: CSRF, per-IP rate limits, and the security headers."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from entrypoints.web.fetch_metadata import refuse_cross_site_loads

# A page's script, style, image, font and fetch all come from this origin; nothing may frame it.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # layui positions its layers with inline styles
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Per client IP, on every JSON endpoint and the captcha: generous for a person, tight for a script.
API_RATE_LIMIT = "30 per minute; 300 per hour"

def init_security(app: Flask, limited: list[Blueprint]) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")  # redis://host:6379 for many instances
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("API_RATE_LIMIT", API_RATE_LIMIT)
    CSRFProtect(app)
    app.before_request(refuse_cross_site_loads)  # registered before the limiter's hook: a refusal spends nothing
    limiter = Limiter(get_remote_address, app=app, headers_enabled=True, retry_after="delta-seconds")
    for blueprint in limited:
        limiter.limit(lambda: app.config["API_RATE_LIMIT"])(blueprint)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
