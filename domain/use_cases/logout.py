from __future__ import annotations

from dataclasses import dataclass

from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.model import SessionEnd, session_digest
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class SignOut:
    session_token: str  # the id this browser's cookie carries
    client: ClientContext


class Logout:
    """退出: this session ends for good, even if a copy of its cookie is replayed later; the user's other
    sessions carry on. A session that had already ended changes nothing and records nothing."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, cmd: SignOut) -> None:
        now = self.clock.now()
        with self.uow() as uow:
            # Held until commit: of two racing logouts of one session, the second finds it ended.
            session = uow.sessions.get_for_update(session_digest(self.rules, cmd.session_token))
            if session is None or not session.is_active(now, self.rules):
                return
            session.end(now, SessionEnd.LOGGED_OUT)
            user = uow.users.get(session.user_id)
            record(
                uow,
                EventType.USER_LOGGED_OUT,
                now=now,
                client=cmd.client,
                mobile=user.mobile if user else None,
                user_id=session.user_id,
                session=session.public_id,
            )
            uow.commit()
