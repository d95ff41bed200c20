from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise, refuse_wrong_password
from domain.flows.sessions import NewSession, rotate_session
from domain.flows.sms_proof import check_code, spend_code
from domain.model import SessionEnd, SmsPurpose, check_new_password, normalize_password, session_digest
from domain.ports import Clock, Codes, PasswordHasher, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class PasswordChange:
    user_id: int
    current: str
    password: str
    confirmation: str
    client: ClientContext
    session_token: str  # this browser's session: it continues under a new id, every other one ends
    code: str | None = None  # an account without a password: a reset_password code sent to its own mobile


class ChangePassword:
    """设置 → 修改密码: needs the current password; ends every other session. This browser's session continues
    under a new id with its sign-in time, expiry and 记住我, returned for its cookie.

    A wrong current password counts toward the account's lockout exactly as a failed sign-in does (counted before
    the compare, so racing guesses cannot slip past), and a locked account's password cannot be changed: a stolen
    session gets no more guesses here than the sign-in page gives.

    An account without a password (made by 验证码登录) sets its first one here with no current password but with
    an SMS code sent to its own mobile (`password.set`): a session alone is not the owner (a stolen one would
    otherwise set a password, then 换绑 with it, and keep the account for good). The code is the proof 忘记密码
    takes (purpose `reset_password`, the same template), so it grants nothing 忘记密码 does not already grant to
    whoever reads that mobile's messages. It is checked and its try counted in the first transaction, spent in
    the one that sets the password. `current` is then ignored.
    """

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.hasher, self.clock, self.codes, self.rules = uow, hasher, clock, codes, rules

    def __call__(self, cmd: PasswordChange) -> NewSession:
        now, rules = self.clock.now(), self.rules
        with self.uow() as uow:
            user = uow.users.get(cmd.user_id)
            if user is None:
                raise errors.LoginRequired()
            event: EventFacts = {"now": now, "client": cmd.client, "mobile": user.mobile, "user_id": user.id}
            first, proof = user.password_hash is None, None
            try:
                password = check_new_password(cmd.password, cmd.confirmation, rules)  # a typo costs no code try
            except errors.DomainError as error:
                record_refusal_and_raise(uow, error, EventType.PASSWORD_CHANGE_REFUSED, **event)
            if first:  # the code's row, then the user's: the order of every use case that spends a code
                proof = check_code(uow, user.mobile, SmsPurpose.RESET_PASSWORD, cmd.code or "", now, rules, cmd.client)
            user = uow.users.get_for_update(cmd.user_id)
            if user is None or user.mobile != event["mobile"]:
                raise errors.LoginRequired()  # erased, or moved to another mobile since it was read
            try:
                if remaining := user.lock_remaining(now):
                    raise errors.AccountLocked.for_seconds(remaining)
                if first and proof is None:
                    raise errors.SmsCodeInvalid()
                armed_lock = not first and user.start_login_attempt(now, rules)  # see refuse_wrong_password
            except errors.DomainError as error:
                record_refusal_and_raise(uow, error, EventType.PASSWORD_CHANGE_REFUSED, **event)
            uow.commit()

        current = normalize_password(cmd.current)
        # Outside any transaction: argon2 takes tens of milliseconds and must not hold the row.
        matches = user.password_hash is None or self.hasher.verify(user.password_hash, current)
        password_hash = self.hasher.hash(password) if matches and (first or password != current) else None
        with self.uow() as uow:
            if proof is not None and not spend_code(uow, event["mobile"], SmsPurpose.RESET_PASSWORD, proof):
                record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.PASSWORD_CHANGE_REFUSED, **event)
            user = uow.users.get_for_update(cmd.user_id)
            if user is None or user.mobile != event["mobile"]:
                raise errors.LoginRequired()
            if first and user.password_hash is not None:  # set by a racing request: this one proves nothing now
                record_refusal_and_raise(
                    uow, errors.CurrentPasswordInvalid(), EventType.PASSWORD_CHANGE_REFUSED, **event
                )
            if not matches:  # counts toward the lock as at sign-in
                refuse_wrong_password(
                    uow, user, armed_lock, errors.CurrentPasswordInvalid(), EventType.PASSWORD_CHANGE_REFUSED, **event
                )
            user.login_succeeded()
            if password_hash is None:
                record_refusal_and_raise(uow, errors.SamePassword(), EventType.PASSWORD_CHANGE_REFUSED, **event)
            session = uow.sessions.get_for_update(session_digest(rules, cmd.session_token))
            if session is None or session.user_id != cmd.user_id or not session.is_active(now, rules):
                raise errors.LoginRequired()  # this session ended meanwhile: change nothing
            assert user.id is not None
            user.set_password(password_hash)
            uow.sessions.end_all(user.id, now, SessionEnd.PASSWORD_CHANGED)  # this one too: it gets a new id
            renewed = rotate_session(uow, self.codes, rules, current=session, now=now, client=cmd.client)
            record(uow, EventType.PASSWORD_SET if first else EventType.PASSWORD_CHANGED, **event)
            uow.commit()
            return renewed
