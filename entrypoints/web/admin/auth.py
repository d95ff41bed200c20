"""Operator sessions: the cookie carries a random id, the server keeps the record (domain LoadOperatorSession
checks the 8-hour lifetime, the 30-minute idle timeout and the operator's state on every request)."""

from __future__ import annotations

import math
import secrets
import time

from flask import Flask, current_app, g, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from limits import RateLimitItemPerHour, RateLimitItemPerMinute

from domain.errors import ConsoleReadsLimited, LoginRequired
from domain.operators import Actor
from entrypoints.web.context import services

# Reachable without a console session: signing in and the first visit through a setup link.
PUBLIC = {
    "admin_pages.login",
    "admin_pages.setup",
    "admin_api.login",
    "admin_api.setup_start",
    "admin_api.setup_finish",
}


class ConsoleSessionInterface(SecureCookieSessionInterface):
    salt = "accounts-admin-session"  # a users' cookie, signed with the same key, is no console cookie


def init_operator_sessions(app: Flask) -> None:
    app.session_interface = ConsoleSessionInterface()

    @app.before_request
    def load_operator():
        g.actor = None
        if session_id := session.get("sid"):
            g.actor = services().admin.load_session(session_id)
            if g.actor is None:
                session.clear()  # ended, expired or idle: the cookie is worth nothing now
        if g.actor is None and request.endpoint not in PUBLIC:
            if request.method == "GET" and not request.path.startswith("/api/"):
                return redirect(f"{request.script_root}/login")
            raise LoginRequired("console")
        if g.actor is not None and request.blueprint == "admin_pages" and request.endpoint not in PUBLIC:
            limit_reads(g.actor)

    @app.after_request
    def no_store(response):
        response.headers["Cache-Control"] = "no-store"  # nothing the console shows stays in a cache
        return response


def limit_reads(reader: Actor) -> None:
    """Console pages per operator, counted where the per-IP limits count (shared by every worker): an operator's
    session read from many addresses is still one reader. 429 `console_reads_limited` with the wait."""
    limiter: Limiter = current_app.extensions["rate_limiter"]
    if not limiter.enabled:
        return
    rules = services().rules
    key = (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), "console-reads", str(reader.operator_id))
    limits = (
        RateLimitItemPerMinute(rules.console_reads_per_minute),
        RateLimitItemPerHour(rules.console_reads_per_hour),
    )
    for item in limits:
        if not limiter.limiter.test(item, *key):
            wait = max(1, math.ceil(limiter.limiter.get_window_stats(item, *key).reset_time - time.time()))
            raise ConsoleReadsLimited(seconds=wait, retry_after=wait)
    for item in limits:
        limiter.limiter.hit(item, *key)


def actor() -> Actor:
    return g.actor


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def start_operator_session(session_id: str) -> None:
    session.clear()  # nothing from before sign-in carries over, the CSRF token included
    session["sid"] = session_id


def end_operator_session() -> None:
    session.clear()
