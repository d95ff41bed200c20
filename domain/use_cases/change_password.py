from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventType
from domain.model import check_new_password, normalize_password
from domain.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.common import record, refuse


@dataclass(frozen=True)
class PasswordChange:
    user_id: int
    current: str
    password: str
    confirmation: str
    client: ClientContext


class ChangePassword:
    """设置 → 修改密码: needs the current password; ends every other session. Returns the new session epoch."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, rules: Rules):
        self.uow, self.hasher, self.clock, self.rules = uow, hasher, clock, rules

    def __call__(self, cmd: PasswordChange) -> int:
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(cmd.user_id)
        if user is None:
            raise errors.LoginRequired()
        event = {"now": now, "client": cmd.client, "mobile": user.mobile, "user_id": user.id}
        current = normalize_password(cmd.current)
        try:
            if not self.hasher.verify(user.password_hash, current):
                raise errors.CurrentPasswordInvalid()
            password = check_new_password(cmd.password, cmd.confirmation, self.rules)
            if password == current:
                raise errors.SamePassword()
        except errors.DomainError as error:
            with self.uow() as uow:
                refuse(uow, error, EventType.PASSWORD_CHANGE_REFUSED, **event)
        password_hash = self.hasher.hash(password)
        with self.uow() as uow:
            user = uow.users.get_for_update(cmd.user_id)
            user.set_password(password_hash)
            record(uow, EventType.PASSWORD_CHANGED, **event)
            uow.commit()
            return user.session_epoch
