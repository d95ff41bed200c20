from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise
from domain.flows.sms_proof import check_code, spend_code
from domain.model import SessionEnd, SmsPurpose, check_new_password, normalize_mobile
from domain.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class PasswordReset:
    mobile: str
    code: str
    password: str
    confirmation: str
    client: ClientContext


class ResetPassword:
    """忘记密码: a code sent for this purpose proves the mobile; the new password ends every session and lifts
    a lock at once (so the owner of a mobile someone locked gets back in)."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, rules: Rules):
        self.uow, self.hasher, self.clock, self.rules = uow, hasher, clock, rules

    def __call__(self, cmd: PasswordReset) -> None:
        now, rules = self.clock.now(), self.rules
        event: EventFacts = {"now": now, "client": cmd.client}
        try:
            mobile = normalize_mobile(cmd.mobile)
            event["mobile"] = mobile
            password = check_new_password(cmd.password, cmd.confirmation, rules)
        except errors.DomainError as error:
            with self.uow() as uow:
                record_refusal_and_raise(uow, error, EventType.PASSWORD_RESET_REFUSED, **event)
        with self.uow() as uow:
            proven = check_code(uow, mobile, SmsPurpose.RESET_PASSWORD, cmd.code, now, rules, cmd.client)
            if proven is None:
                record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.PASSWORD_RESET_REFUSED, **event)
            uow.commit()
        password_hash = self.hasher.hash(password)  # only for a proven code, outside the transaction
        with self.uow() as uow:
            if not spend_code(uow, mobile, SmsPurpose.RESET_PASSWORD, proven):
                record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.PASSWORD_RESET_REFUSED, **event)
            user = uow.users.get_by_mobile_for_update(mobile)
            if user is None:
                record_refusal_and_raise(uow, errors.MobileNotRegistered(), EventType.PASSWORD_RESET_REFUSED, **event)
            assert user.id is not None
            user.set_password(password_hash)
            uow.sessions.end_all(user.id, now, SessionEnd.PASSWORD_RESET)
            event["user_id"] = user.id
            record(uow, EventType.PASSWORD_RESET, **event)
            uow.commit()
