"""Per-request context: a request id in the log context and the client facts every event carries."""

from __future__ import annotations

import re
import uuid

import structlog
from flask import Flask, current_app, g, request

from domain.events import ClientContext
from entrypoints.web.client_ip import forwarded_for_invalid

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def init_request_context(app: Flask) -> None:
    @app.before_request
    def bind_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id, ip=request.remote_addr)

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response


def services():
    """The use cases bootstrap built for this app."""
    return current_app.extensions["services"]


def client_context() -> ClientContext:
    return ClientContext(
        ip=request.remote_addr,
        user_agent=request.user_agent.string[:512] or None,
        request_id=g.get("request_id"),
        forwarded_for_invalid=forwarded_for_invalid(),
    )
