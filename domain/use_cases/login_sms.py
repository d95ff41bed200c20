"""验证码登录: a right SMS code signs in; for a mobile with no account it makes one in the same step (一键注册).

One transaction, and no argon2 anywhere: the code is checked first (its try counted and committed whatever
follows), so whether the mobile has an account is told only to whoever holds its code. A mobile without an account
needs `agreement` ticked, checked after the code; the refusal leaves the code unspent for the retry with the box
ticked. The account gets a default nickname and no password: password sign-in refuses it with the generic answer
until its owner sets one in 设置.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise
from domain.flows.sessions import open_session
from domain.flows.sms_proof import check_code, spend_code
from domain.model import SmsPurpose, User, default_nickname, normalize_mobile
from domain.ports import Clock, Codes, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.consent import record_consent
from domain.use_cases.delete_account import cancel_pending_deletion
from domain.use_cases.login import SignedIn


@dataclass(frozen=True)
class SmsCredentials:
    mobile: str
    code: str
    client: ClientContext
    remember: bool = False  # 记住我
    agreement: bool = False  # 同意《用户协议》和《隐私政策》: needed only when the sign-in makes the account


@dataclass(frozen=True)
class SmsSignedIn(SignedIn):
    registered: bool = False  # the account was made by this sign-in


class LoginWithSms:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.clock, self.codes, self.rules = uow, clock, codes, rules

    def __call__(self, cmd: SmsCredentials) -> SmsSignedIn:
        now = self.clock.now()
        event: EventFacts = {"now": now, "client": cmd.client, "method": "sms"}
        try:
            mobile = normalize_mobile(cmd.mobile)
        except errors.InvalidMobile as error:
            with self.uow() as uow:
                record_refusal_and_raise(uow, error, EventType.LOGIN_FAILED, **event)
        event["mobile"] = mobile
        # Twice at most: a sign-up racing another one for the same mobile (by password) loses on the unique
        # constraint, and then signs in to the account that won, with the same code (its spend was rolled back).
        for attempt in range(2):
            try:
                return self._sign_in(cmd, mobile, event.copy())
            except errors.Conflict:
                if attempt:
                    with self.uow() as uow:
                        record_refusal_and_raise(uow, errors.MobileTaken(), EventType.LOGIN_FAILED, **event)
        raise AssertionError("unreachable")

    def _sign_in(self, cmd: SmsCredentials, mobile: str, event: EventFacts) -> SmsSignedIn:
        now, rules = event["now"], self.rules
        with self.uow() as uow:
            proven = check_code(uow, mobile, SmsPurpose.LOGIN, cmd.code, now, rules, cmd.client)
            if proven is None:
                record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.LOGIN_FAILED, **event)
            user = uow.users.get_by_mobile_for_update(mobile)
            if user is None and not cmd.agreement:
                record_refusal_and_raise(
                    uow, errors.AgreementRequired(), EventType.LOGIN_FAILED, **event
                )  # the code stays usable
            if user is not None:
                event["user_id"] = user.id
                # No lock check: the lock stops guessing passwords, and the code proved the mobile (its own tries
                # are limited); success lifts the lock below, as a password reset does.
                if user.disabled_at is not None:
                    record_refusal_and_raise(uow, errors.AccountDisabled(), EventType.LOGIN_FAILED, **event)
            spend_code(
                uow, mobile, SmsPurpose.LOGIN, proven
            )  # checked in this very transaction: it is still the current one
            registered = user is None
            if user is None:
                user = User(
                    mobile=mobile,
                    nickname=default_nickname(mobile, self.rules.default_nickname_prefix),
                    password_hash=None,
                    created_at=now,
                )
                uow.users.add(user)  # Conflict when another sign-up of this mobile committed first
                assert user.id is not None
                event["user_id"] = user.id
                record(uow, EventType.USER_REGISTERED, **event)
                record_consent(uow, user.id, rules, now=now, client=cmd.client, mobile=mobile)
            assert user.id is not None  # stored: numbered by add if made just now
            user.login_succeeded()  # the owner proved the mobile: failed passwords and their lock no longer count
            session = open_session(
                uow, self.codes, rules, user_id=user.id, remember=cmd.remember, now=now, client=cmd.client
            )
            record(uow, EventType.LOGIN_SUCCEEDED, session=session.public_id, remember=cmd.remember, **event)
            cancelled = cancel_pending_deletion(uow, user, now=now, client=cmd.client, mobile=mobile, user_id=user.id)
            uow.commit()
            return SmsSignedIn(user.id, user.nickname, session, cancelled, registered)
