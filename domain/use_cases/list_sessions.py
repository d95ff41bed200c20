from __future__ import annotations

from domain.model import UserSession
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules


class ListSessions:
    """登录设备管理: the user's live sessions, most recently active first."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, user_id: int) -> list[UserSession]:
        now = self.clock.now()
        with self.uow() as uow:
            sessions = uow.sessions.live_for_user(user_id, now)
        return [session for session in sessions if session.is_active(now, self.rules)]
