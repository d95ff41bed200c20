from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise
from domain.flows.sms_proof import check_code, spend_code
from domain.model import SmsPurpose, User, check_new_password, normalize_mobile, normalize_nickname
from domain.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.consent import record_consent


@dataclass(frozen=True)
class Registration:
    nickname: str
    mobile: str
    code: str
    password: str
    confirmation: str
    agreement: bool
    client: ClientContext


class RegisterUser:
    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, rules: Rules):
        self.uow, self.hasher, self.clock, self.rules = uow, hasher, clock, rules

    def __call__(self, cmd: Registration) -> int:
        now, rules = self.clock.now(), self.rules
        event: EventFacts = {"now": now, "client": cmd.client}
        try:
            mobile = normalize_mobile(cmd.mobile)
            event["mobile"] = mobile
            nickname = normalize_nickname(cmd.nickname, rules)
            password = check_new_password(cmd.password, cmd.confirmation, rules)
            if not cmd.agreement:
                raise errors.AgreementRequired()
        except errors.DomainError as error:
            with self.uow() as uow:
                record_refusal_and_raise(uow, error, EventType.REGISTRATION_REFUSED, **event)
        with self.uow() as uow:
            # The code first: whether the mobile is registered is told only to whoever holds its code, so a
            # made-up code gets the same answer for every mobile.
            proven = check_code(uow, mobile, SmsPurpose.REGISTER, cmd.code, now, rules, cmd.client)
            if proven is None:
                record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.REGISTRATION_REFUSED, **event)
            if uow.users.get_by_mobile(mobile) is not None:
                record_refusal_and_raise(uow, errors.MobileTaken(), EventType.REGISTRATION_REFUSED, **event)
            uow.commit()
        # Only a proven code pays for argon2, and outside the transaction, so row locks last milliseconds.
        password_hash = self.hasher.hash(password)
        try:
            with self.uow() as uow:
                if not spend_code(uow, mobile, SmsPurpose.REGISTER, proven):
                    record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.REGISTRATION_REFUSED, **event)
                user = User(mobile=mobile, nickname=nickname, password_hash=password_hash, created_at=now)
                uow.users.add(user)
                assert user.id is not None  # numbered by add
                record(uow, EventType.USER_REGISTERED, now=now, client=cmd.client, mobile=mobile, user_id=user.id)
                # `agreement` covers 《用户协议》 and 《隐私政策》
                record_consent(uow, user.id, rules, now=now, client=cmd.client, mobile=mobile)
                uow.commit()
                return user.id
        except errors.Conflict:
            # A concurrent registration of the same mobile won; the unique constraint kept it to one user.
            with self.uow() as uow:
                record_refusal_and_raise(uow, errors.MobileTaken(), EventType.REGISTRATION_REFUSED, **event)
