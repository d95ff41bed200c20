from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise, refuse_wrong_password
from domain.flows.captcha import take_captcha
from domain.flows.sessions import NewSession, open_session
from domain.model import normalize_mobile, normalize_password
from domain.ports import Clock, Codes, PasswordHasher, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.delete_account import cancel_pending_deletion


@dataclass(frozen=True)
class Credentials:
    mobile: str
    password: str
    captcha_id: str
    captcha: str
    client: ClientContext
    remember: bool = False  # 记住我


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    nickname: str
    session: NewSession
    deletion_cancelled: bool = False  # the sign-in ended a pending 注销 (the answer says so)


class Login:
    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.hasher, self.clock, self.codes, self.rules = uow, hasher, clock, codes, rules
        # Unknown mobiles are verified against this, so they cost what a wrong password costs.
        self.dummy_hash = hasher.hash("not a password: equalizes timing for unknown mobiles")

    def __call__(self, cmd: Credentials) -> SignedIn:
        """A lock is answered as a wrong password is: whoever reaches the sign-in form learns neither that an account
        exists nor that it is locked. The owner sees the lock in the security log (login.failed with reason
        account_locked, account.locked), the operator console too; 验证码登录 and 忘记密码 still let the owner in."""
        try:
            return self._sign_in(cmd)
        except errors.AccountLocked:
            raise errors.BadCredentials() from None

    def _sign_in(self, cmd: Credentials) -> SignedIn:
        now, rules = self.clock.now(), self.rules
        event: EventFacts = {"now": now, "client": cmd.client}
        with self.uow() as uow:
            if not take_captcha(uow, cmd.captcha_id, cmd.captcha, now, rules):
                record_refusal_and_raise(uow, errors.CaptchaInvalid(), EventType.LOGIN_FAILED, **event)
            try:
                mobile = normalize_mobile(cmd.mobile)
            except errors.InvalidMobile as error:
                record_refusal_and_raise(uow, error, EventType.LOGIN_FAILED, **event)
            event["mobile"] = mobile
            user = uow.users.get_by_mobile_for_update(mobile)
            armed_lock = False  # this try is the last one allowed: its failure locks the account
            locked: errors.AccountLocked | None = None  # refused once the password check has cost its usual time
            if user is not None:
                event["user_id"] = user.id
                try:
                    armed_lock = user.start_login_attempt(now, rules)
                except errors.AccountLocked as error:
                    locked = error
            uow.commit()

        password = normalize_password(cmd.password)
        # Outside any transaction: argon2 takes tens of milliseconds and must not hold a row.
        # An account without a password (made by SMS sign-in) is verified against the dummy too and refused like a
        # wrong password: the answer and its cost say nothing about how the account was made.
        # A locked account's own hash is not asked (a right guess during the lock would tell): the dummy is.
        password_hash = user.password_hash if user is not None and locked is None else None
        has_password = password_hash is not None
        matches = self.hasher.verify(password_hash if password_hash is not None else self.dummy_hash, password)
        matches = matches and has_password
        with self.uow() as uow:
            # Looked up for unknown mobiles too: both kinds of failure do the same work, so take the same time.
            user = uow.users.get_by_mobile_for_update(mobile)
            # Not the account whose hash was verified (erased meanwhile, the mobile perhaps re-registered): refused,
            # and the event names no account, so that nothing written after an erasure ties it to its number.
            if user is None or user.id != event.get("user_id"):
                event.pop("user_id", None)
                record_refusal_and_raise(uow, errors.BadCredentials(), EventType.LOGIN_FAILED, **event)
            if locked is not None:
                record_refusal_and_raise(uow, locked, EventType.LOGIN_FAILED, **event)
            if not matches:
                refuse_wrong_password(uow, user, armed_lock, errors.BadCredentials(), EventType.LOGIN_FAILED, **event)
            if user.disabled_at is not None:  # told only to whoever knows the password
                record_refusal_and_raise(uow, errors.AccountDisabled(), EventType.LOGIN_FAILED, **event)
            # Its hash matched, so the account has a password (none is ever removed), and an id: it is stored.
            assert user.id is not None
            assert user.password_hash is not None
            user.login_succeeded()
            if self.hasher.needs_rehash(user.password_hash):
                user.password_hash = self.hasher.hash(password)
            session = open_session(
                uow, self.codes, rules, user_id=user.id, remember=cmd.remember, now=now, client=cmd.client
            )
            record(
                uow,
                EventType.LOGIN_SUCCEEDED,
                session=session.public_id,
                remember=cmd.remember,
                method="password",
                **event,
            )
            cancelled = cancel_pending_deletion(uow, user, now=now, client=cmd.client, mobile=mobile, user_id=user.id)
            uow.commit()
            return SignedIn(user.id, user.nickname, session, cancelled)
