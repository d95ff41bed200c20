from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventType
from domain.model import User, digest
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.common import record


@dataclass(frozen=True)
class SignOut:
    user_id: int
    session_id: str  # the random id the entrypoint gave this session at sign-in
    client: ClientContext


class Logout:
    """退出: this session ends for good, even if a copy of its cookie is replayed later."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, cmd: SignOut) -> None:
        now = self.clock.now()
        try:
            with self.uow() as uow:
                uow.sessions.end(digest(self.rules.code_key, "session", cmd.session_id),
                                 now + self.rules.session_lifetime)
                user = uow.users.get(cmd.user_id)
                record(uow, EventType.LOGGED_OUT, now=now, client=cmd.client, mobile=user.mobile if user else None,
                       user_id=cmd.user_id)
                uow.commit()
        except errors.Conflict:
            pass  # a concurrent logout of the same session got there first: it is ended either way


class LoadSessionUser:
    """The signed-in user behind a session, or None once the session was ended or its epoch is stale."""

    def __init__(self, uow: UnitOfWorkFactory, rules: Rules):
        self.uow, self.rules = uow, rules

    def __call__(self, user_id: int, session_epoch: int, session_id: str) -> User | None:
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None or user.session_epoch != session_epoch:
                return None
            if uow.sessions.is_ended(digest(self.rules.code_key, "session", session_id)):
                return None
        return user
