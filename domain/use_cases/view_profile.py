from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import errors
from domain.events import AuditEvent, EventType
from domain.model import mask_mobile
from domain.ports import UnitOfWorkFactory
from domain.rules import Rules

SIGN_IN_EVENTS = (
    EventType.LOGIN_SUCCEEDED.value,
    EventType.LOGIN_FAILED.value,
    EventType.MOBILE_CHANGED.value,
)  # 换绑手机号 is shown among the sign-ins: it moves the account


@dataclass(frozen=True)
class Profile:
    nickname: str
    masked_mobile: str
    member_since: datetime
    sign_ins: list[AuditEvent]  # the security log: newest first
    has_password: bool = True  # False: made by 验证码登录, no password set yet (设置 offers to set one)


class ViewProfile:
    """个人中心: who the user is and their own recent sign-ins, read from the audit log."""

    def __init__(self, uow: UnitOfWorkFactory, rules: Rules):
        self.uow, self.rules = uow, rules

    def __call__(self, user_id: int) -> Profile:
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None:
                raise errors.LoginRequired()
            sign_ins = uow.audit.recent_for_user(user_id, SIGN_IN_EVENTS, self.rules.security_log_size)
        return Profile(
            user.nickname, mask_mobile(user.mobile), user.created_at, sign_ins, user.password_hash is not None
        )
