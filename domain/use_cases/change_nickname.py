from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.model import normalize_nickname
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class NicknameChange:
    user_id: int
    nickname: str
    client: ClientContext


class ChangeNickname:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, cmd: NicknameChange) -> str:
        nickname = normalize_nickname(cmd.nickname, self.rules)
        with self.uow() as uow:
            user = uow.users.get_for_update(cmd.user_id)
            if user is None:
                raise errors.LoginRequired()
            previous, user.nickname = user.nickname, nickname
            record(
                uow,
                EventType.NICKNAME_CHANGED,
                now=self.clock.now(),
                client=cmd.client,
                mobile=user.mobile,
                user_id=user.id,
                previous=previous,
                nickname=nickname,
            )
            uow.commit()
        return nickname
