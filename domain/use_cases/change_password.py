from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventType
from domain.model import SessionEnd, check_new_password, normalize_password, session_digest
from domain.ports import Clock, Codes, PasswordHasher, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.common import record, refuse
from domain.use_cases.sessions import NewSession, rotate_session


@dataclass(frozen=True)
class PasswordChange:
    user_id: int
    current: str
    password: str
    confirmation: str
    client: ClientContext
    session_token: str  # this browser's session: it continues under a new id, every other one ends


class ChangePassword:
    """设置 → 修改密码: needs the current password; ends every other session. This browser's session continues
    under a new id with its sign-in time, expiry and 记住我, returned for its cookie."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.hasher, self.clock, self.codes, self.rules = uow, hasher, clock, codes, rules

    def __call__(self, cmd: PasswordChange) -> NewSession:
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
            current = uow.sessions.get_for_update(session_digest(cmd.session_token, self.rules))
            if current is None or current.user_id != cmd.user_id or not current.is_active(now, self.rules):
                raise errors.LoginRequired()  # this session ended meanwhile: change nothing
            user.set_password(password_hash)
            uow.sessions.end_all(user.id, now, SessionEnd.PASSWORD_CHANGED)  # this one too: it gets a new id
            renewed = rotate_session(uow, self.codes, self.rules, current=current, now=now, client=cmd.client)
            record(uow, EventType.PASSWORD_CHANGED, **event)
            uow.commit()
            return renewed
