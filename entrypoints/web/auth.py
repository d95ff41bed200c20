"""Sessions with Flask-Login. A session names the user, the user's session epoch and a random id of its own:
bumping the epoch (password change, reset, sign out everywhere) ends every session issued before it, and
logging out ends the one id, so a copied cookie stops working either way."""

from __future__ import annotations

import secrets

from flask import Flask, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from domain.errors import LoginRequired
from domain.model import User
from entrypoints.web.context import services


class SessionUser(UserMixin):
    def __init__(self, user_id: int, nickname: str, session_epoch: int, session_id: str):
        self.user_id, self.nickname, self.session_epoch, self.session_id = user_id, nickname, session_epoch, session_id

    def get_id(self) -> str:
        return f"{self.user_id}:{self.session_epoch}:{self.session_id}"

    @classmethod
    def of(cls, user: User, session_id: str) -> SessionUser:
        return cls(user.id, user.nickname, user.session_epoch, session_id)


def init_auth(app: Flask) -> None:
    manager = LoginManager(app)
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(session_key: str) -> SessionUser | None:
        user_id, epoch, session_id = (session_key.split(":") + ["", ""])[:3]
        if not (user_id.isdigit() and epoch.isdigit() and session_id):
            return None
        user = services().load_session_user(int(user_id), int(epoch), session_id)
        return SessionUser.of(user, session_id) if user else None

    @manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            raise LoginRequired()
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))


def start_session(user_id: int, nickname: str, session_epoch: int, remember: bool) -> None:
    session.clear()  # a new session at sign-in: nothing from before carries over
    session.permanent = remember  # 30 days with 记住我, else until the browser closes
    login_user(SessionUser(user_id, nickname, session_epoch, secrets.token_urlsafe(18)))


def renew_session(session_epoch: int) -> None:
    """After this user's own password change: keep this browser signed in under the new epoch."""
    start_session(current_user.user_id, current_user.nickname, session_epoch, remember=session.permanent)


def end_session() -> None:
    logout_user()
    session.clear()
