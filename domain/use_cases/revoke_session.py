from __future__ import annotations

import re
from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.model import SessionEnd
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules

PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Codes.token makes; anything else names no session


@dataclass(frozen=True)
class SessionRevocation:
    user_id: int  # who asks: only their own sessions can be ended
    public_id: str
    client: ClientContext


class RevokeSession:
    """下线: end one of the user's own sessions at once, from another device (or this one)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, cmd: SessionRevocation) -> None:
        if not PUBLIC_ID.fullmatch(cmd.public_id):
            raise errors.SessionNotFound()
        now = self.clock.now()
        with self.uow() as uow:
            session = uow.sessions.get_by_public_id_for_update(cmd.public_id)
            # Another user's session gets the answer a made-up id gets: nothing about it is revealed.
            if session is None or session.user_id != cmd.user_id or not session.is_active(now, self.rules):
                raise errors.SessionNotFound()
            session.end(now, SessionEnd.REVOKED)
            user = uow.users.get(cmd.user_id)
            record(
                uow,
                EventType.SESSION_REVOKED,
                now=now,
                client=cmd.client,
                mobile=user.mobile if user else None,
                user_id=cmd.user_id,
                session=session.public_id,
            )
            uow.commit()
