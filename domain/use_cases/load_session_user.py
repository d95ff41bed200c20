from __future__ import annotations

from dataclasses import dataclass

from domain.model import session_digest
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class SessionOwner:
    """Who is signed in through a live session: what every request needs to know."""

    user_id: int
    nickname: str
    session_id: str  # the session's public id, never the cookie's secret


class LoadSessionUser:
    """The signed-in user behind a session id, or None once the session has ended, passed its absolute expiry or
    (without 记住我) idled out. The session record is the only judge: the cookie only names it.

    Activity is written at most every `session_touch_interval`, in a short transaction of its own: most requests
    only read (`reader`, which on SQLite skips the write lock)."""

    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.reader, self.clock, self.rules = uow, reader, clock, rules

    def __call__(self, session_token: str, ip: str | None) -> SessionOwner | None:
        now = self.clock.now()
        with self.reader() as uow:
            session = uow.sessions.get(session_digest(self.rules, session_token))
            if session is None or not session.is_active(now, self.rules):
                return None
            user = uow.users.get(session.user_id)
        if user is None:
            return None
        assert session.id is not None  # read from the store, so numbered
        assert user.id is not None
        if session.needs_touch(now, self.rules):
            with self.uow() as uow:
                uow.sessions.touch(session.id, now, ip)
                uow.commit()
        return SessionOwner(user.id, user.nickname, session.public_id)
