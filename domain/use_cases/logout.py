from __future__ import annotations

from dataclasses import dataclass

from domain.events import ClientContext, EventType
from domain.model import User
from domain.ports import Clock, UnitOfWorkFactory
from domain.use_cases.common import record


@dataclass(frozen=True)
class SignOut:
    user_id: int
    client: ClientContext


class Logout:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, cmd: SignOut) -> None:
        with self.uow() as uow:
            user = uow.users.get(cmd.user_id)
            if user is None:
                return
            record(uow, EventType.LOGGED_OUT, now=self.clock.now(), client=cmd.client, mobile=user.mobile,
                   user_id=user.id)
            uow.commit()


class LoadSessionUser:
    """The signed-in user behind a session, or None once the session's epoch is stale."""

    def __init__(self, uow: UnitOfWorkFactory):
        self.uow = uow

    def __call__(self, user_id: int, session_epoch: int) -> User | None:
        with self.uow() as uow:
            user = uow.users.get(user_id)
        return user if user is not None and user.session_epoch == session_epoch else None
