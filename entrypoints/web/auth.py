"""Sessions with Flask-Login. The cookie (Flask's signed session) carries one thing about the user: the random id
of a session record on the server, which decides on every request whether the session is still good (see
domain/use_cases/load_session_user.py). Flask-WTF keeps its CSRF secret in the same cookie.

`current_user` stays the way to ask who is signed in: a request loader looks the id up, so nothing else about
the user (id, epoch, IP hash, freshness) is written into the cookie."""

from __future__ import annotations

from flask import Flask, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, logout_user

from domain.errors import LoginRequired
from domain.flows.sessions import NewSession
from domain.use_cases.load_session_user import SessionOwner
from entrypoints.web.context import client_context, services

SESSION_KEY = "sid"
MAX_SESSION_ID = 64  # what Codes.token(32) makes is 43 characters; longer names no session


class SessionUser(UserMixin):
    def __init__(self, owner: SessionOwner):
        self.user_id, self.nickname, self.session_public_id = owner.user_id, owner.nickname, owner.session_id

    def get_id(self) -> str:
        return str(self.user_id)


def init_auth(app: Flask) -> None:
    manager = LoginManager(app)
    manager.session_protection = None  # the server record decides; Flask-Login's IP hash and freshness go unused
    # A 记住我 cookie lives as long as its record may; the record's own expiry, fixed at sign-in, is what counts.
    app.permanent_session_lifetime = app.extensions["services"].rules.remembered_session_lifetime
    # Re-sent only when it changes, so the browser's expiry stays where sign-in put it instead of sliding forward.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False

    @manager.request_loader
    def load_user(_request) -> SessionUser | None:
        token = session.get(SESSION_KEY)
        if g.get("skip_session_lookup") or not isinstance(token, str) or not 0 < len(token) <= MAX_SESSION_ID:
            return None
        owner = services().load_session_user(token, client_context().ip)
        return SessionUser(owner) if owner else None

    @manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            raise LoginRequired()
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))


def start_session(new: NewSession) -> None:
    """At sign-in, and for this browser's new id after a password change. Nothing from before carries over (the
    CSRF secret included, so a fixated cookie is worth nothing)."""
    session.clear()
    session[SESSION_KEY] = new.token
    session.permanent = new.remember  # a 30-day cookie with 记住我, else it ends with the browser


def session_token() -> str | None:
    """The session id this browser's cookie carries, if any."""
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) else None


def signed_in_token() -> str:
    """The session id of a request under @login_required: the request loader found its record by it."""
    token = session_token()
    if token is None:
        raise LoginRequired()
    return token


def end_session() -> None:
    logout_user()  # also makes current_user anonymous for the rest of this request
    session.clear()


def skip_session_lookup() -> None:
    """For the rest of this request nobody is signed in: the database just failed, and the error page must render
    without asking it again (Flask-Login's context processor loads the user for every template)."""
    g.skip_session_lookup = True
