"""Defences that wrap every request: CSRF, per-IP rate limits, and the security headers."""

from __future__ import annotations

import math
import os
import time

from flask import Blueprint, Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItemPerSecond

from domain import errors
from entrypoints.settings import ConfigurationError
from entrypoints.web.errors import keep_stated_retry_after
from entrypoints.web.fetch_metadata import refuse_cross_site_loads

# A page's script, style, image, font and fetch all come from this origin; nothing may frame it.
CONTENT_SECURITY_POLICY = "; ".join(
    [
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
    ]
)

# Per client IP, on every JSON endpoint and the captcha: generous for a person, tight for a script.
API_RATE_LIMIT = "30 per minute; 300 per hour"

# Set by entrypoints/gunicorn_conf.py in the master, so every worker knows how many processes serve the app.
WORKER_PROCESSES = "ACCOUNTS_WORKER_PROCESSES"


def refuse_per_process_limits(app: Flask) -> None:
    """memory:// counts in each process: N workers would allow N times the limit. In production a server that did
    not say how many processes serve the app (gunicorn without entrypoints/gunicorn_conf.py, uwsgi, ...) may run
    any number, so memory:// is refused there too."""
    known = os.environ.get(WORKER_PROCESSES)
    workers = int(known or "1")
    storage = app.config["RATELIMIT_STORAGE_URI"]
    if not storage.startswith("memory://") or not app.config.get("RATELIMIT_ENABLED", True):
        return
    if workers > 1:
        raise ConfigurationError(
            f"RATELIMIT_STORAGE_URI is {storage} with {workers} worker processes: each would count on its own and "
            f"allow {workers} times every rate limit. Set RATELIMIT_STORAGE_URI=redis://host:6379 (shared by every "
            "worker and host), or serve with one worker (WEB_CONCURRENCY=1)."
        )
    if known is None and app.config["ACCOUNTS_ENV"] == "production":
        raise ConfigurationError(
            f"RATELIMIT_STORAGE_URI is {storage} in production, and nothing says how many processes serve the app: "
            "each would count on its own. Set RATELIMIT_STORAGE_URI=redis://host:6379 (shared by every worker and "
            "host), or serve with gunicorn -c python:entrypoints.gunicorn_conf (which tells the app), or set "
            f"{WORKER_PROCESSES}=1 if exactly one process serves it."
        )


def spend_account_allowance(scope: str, account: int, allowed: int, seconds: int) -> None:
    """A limit per signed-in account, in the per-IP limits' storage (Redis when several processes serve): `allowed`
    requests in `seconds`, moving window. Over it: SmsLimitReached, with the wait until the oldest one leaves."""
    for limiter in current_app.extensions.get("limiter", ()):
        if not limiter.enabled:
            continue
        item = RateLimitItemPerSecond(allowed, seconds)
        if not limiter.limiter.hit(item, scope, str(account)):
            reset_at = limiter.limiter.get_window_stats(item, scope, str(account)).reset_time
            raise errors.SmsLimitReached(retry_after=max(1, math.ceil(reset_at - time.time())))


def init_security(app: Flask, limited: list[Blueprint]) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")  # redis://host:6379 for many instances
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("API_RATE_LIMIT", API_RATE_LIMIT)
    refuse_per_process_limits(app)
    CSRFProtect(app)
    app.before_request(refuse_cross_site_loads)  # registered before the limiter's hook: a refusal spends nothing
    # Registered before the limiter's own hook, so it runs after it (Flask runs after-request hooks in reverse).
    app.after_request(keep_stated_retry_after)
    limiter = Limiter(get_remote_address, app=app, headers_enabled=True, retry_after="delta-seconds")
    app.extensions["rate_limiter"] = limiter  # for limits keyed by something other than the address
    for blueprint in limited:
        limiter.limit(lambda: app.config["API_RATE_LIMIT"])(blueprint)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            # Pages show the nickname and carry the CSRF token; answers may hold account data: a shared or back-
            # button cache must not keep them. Responses that chose their own caching (ETag'd spec) keep it.
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
