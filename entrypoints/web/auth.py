"""Sessions with Flask-Login. The session names the user and the user's session epoch; bumping the
epoch (password change, reset, sign out everywhere) ends every session issued before."""

from __future__ import annotations

from flask import Flask, current_app, session
from flask_login import LoginManager, UserMixin, login_user, logout_user

from domain.model import User


class SessionUser(UserMixin):
    def __init__(self, user_id: int, nickname: str, session_epoch: int, mobile: str | None = None):
        self.user_id, self.nickname, self.session_epoch, self.mobile = user_id, nickname, session_epoch, mobile

    def get_id(self) -> str:
        return f"{self.user_id}:{self.session_epoch}"

    @classmethod
    def of(cls, user: User) -> SessionUser:
        return cls(user.id, user.nickname, user.session_epoch, user.mobile)


def init_auth(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "pages.login"
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(session_id: str) -> SessionUser | None:
        user_id, _, epoch = session_id.partition(":")
        if not (user_id.isdigit() and epoch.isdigit()):
            return None
        user = current_app.extensions["services"].load_session_user(int(user_id), int(epoch))
        return SessionUser.of(user) if user else None


def start_session(user: SessionUser, remember: bool) -> None:
    session.clear()  # a new session at sign-in: nothing from before carries over
    session.permanent = remember  # 30 days with 记住我, else until the browser closes
    login_user(user)


def end_session() -> None:
    logout_user()
    session.clear()
