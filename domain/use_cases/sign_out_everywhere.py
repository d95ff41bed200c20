from __future__ import annotations

from dataclasses import dataclass

from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.model import SessionEnd
from domain.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True)
class SignOutEverywhereRequest:
    user_id: int
    client: ClientContext


class SignOutEverywhere:
    """退出所有设备: every session of the user, this one included, stops working at once."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, cmd: SignOutEverywhereRequest) -> None:
        with self.uow() as uow:
            user = uow.users.get_for_update(cmd.user_id)
            if user is None:
                return
            assert user.id is not None
            now = self.clock.now()
            ended = uow.sessions.end_all(user.id, now, SessionEnd.SIGNED_OUT_EVERYWHERE)
            record(
                uow,
                EventType.SESSIONS_REVOKED,
                now=now,
                client=cmd.client,
                mobile=user.mobile,
                user_id=user.id,
                ended=ended,
            )
            uow.commit()
