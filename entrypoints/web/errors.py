"""Every refusal leaves as the same JSON shape (API) or a friendly page (browser), never a traceback."""

from __future__ import annotations

import structlog
from flask import Flask, g, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from domain import errors
from entrypoints.messages import message_for, say
from entrypoints.web.auth import skip_session_lookup

STATUS = {
    "mobile_taken": 409,
    "bad_credentials": 401,
    "login_required": 401,
    "account_locked": 423,
    "sms_cooldown": 429,
    "sms_limit": 429,
    "data_copy_limit": 429,
    "sms_unavailable": 503,
    "conflict": 409,
    "service_unavailable": 503,
    "api_key_invalid": 403,
    "api_key_not_found": 404,
    "webhook_not_found": 404,
    "session_not_found": 404,
    "cross_site_request": 403,
    "account_disabled": 403,
    "forbidden": 403,
    "console_reads_limited": 429,
    "not_found": 404,
    "username_taken": 409,
    "mobile_in_use": 409,
}

HTTP_SLUGS: dict[int | None, str] = {  # their words: `http.<status>` in entrypoints/messages.py
    400: "invalid_input",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
}

log = structlog.get_logger("web")


def error_response(status: int, slug: str, message: str, *, field: str | None = None, retry_after: int | None = None):
    wants_page = (
        request.method == "GET" and request.accept_mimetypes.accept_html and not request.path.startswith("/api/")
    )
    if wants_page and request.path != "/get_captcha":
        response = make_response(render_template("error.html", status=status, message=message), status)
    else:
        body = {"code": status, "error": slug, "message": message, "field": field}
        if retry_after is not None:
            body["retry_after"] = retry_after
        response = jsonify(body)
        response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
        g.stated_retry_after = retry_after
    return response


def keep_stated_retry_after(response):
    """Flask-Limiter recomputes Retry-After from the clock after the body was written, so a second boundary
    between the two made them disagree (body 60, header 59): the refusal keeps the one wait it stated."""
    stated = g.get("stated_retry_after")
    if stated is not None:
        response.headers["Retry-After"] = str(stated)
    return response


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.DomainError)
    def domain_error(error: errors.DomainError):
        status = STATUS.get(error.slug, 400)
        return error_response(status, error.slug, message_for(error), field=error.field, retry_after=error.retry_after)

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return error_response(400, "csrf_invalid", say("csrf_invalid"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        slug = HTTP_SLUGS.get(error.code, "http_error")
        message = say(f"http.{error.code}" if error.code in HTTP_SLUGS else "http_error")
        retry_after = None
        if isinstance(error, RateLimitExceeded):
            retry_after = int(error.limit.limit.get_expiry())  # the window: an upper bound on the wait
        response = error_response(error.code or 500, slug, message, retry_after=retry_after)
        for name, value in error.get_headers():  # Allow on 405 (RFC 9110 requires it)
            if name.lower() != "content-type":
                response.headers.setdefault(name, value)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_error(error: OperationalError | InterfaceError):
        # The database is down or unreachable: fail fast, the transaction was rolled back.
        log.error("database_error", error=type(error.orig).__name__)
        # Rendering runs Flask-Login's context processor, which would try to load the user again.
        skip_session_lookup()
        return error_response(503, "service_unavailable", say("service_unavailable"), retry_after=5)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled_error")
        return error_response(500, "internal_error", say("internal_error"))
