"""设置 → 换绑手机号: prove the current mobile, prove the new mobile, move the account to it.

Every account proves its current mobile with a code sent to it, and the new mobile with a code sent to that (both
purpose `change_mobile`, bound to this account): a password leaked elsewhere plus the attacker's own number does not
move the account, because the number it is bound to must agree. An account with a password gives it too (a stolen
phone alone does not move it either); an account without one (made by 验证码登录) has only the two codes. Both codes
are checked and their tries counted first, in a short transaction of their own, both every time (a wrong new code
does not spare the current code its count); the password is verified after that, outside any transaction, counted
toward the lockout as a wrong current password in 修改密码 is. The change itself spends the codes, moves the mobile,
ends every other session and gives this browser a new session id. The unique constraint on `users.mobile` decides
a race for the same new mobile: one account gets it.

After the commit, never inside it, the OLD mobile gets a security notice (SmsNotice.MOBILE_CHANGED): its owner
learns of a change they did not make and can appeal (申诉, docs/operator-console.md). A provider failure does not
undo the change; it is recorded as `mobile_change_notice.failed`, a send as `mobile_change_notice.sent`.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise, refuse_wrong_password
from domain.flows.sessions import NewSession, rotate_session
from domain.flows.sms_proof import check_code, spend_code
from domain.model import (
    SessionEnd,
    SmsNotice,
    SmsPurpose,
    mask_mobile,
    normalize_mobile,
    normalize_password,
    session_digest,
)
from domain.ports import Clock, Codes, PasswordHasher, SmsSender, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class MobileChange:
    user_id: int
    mobile: str  # the new one
    code: str  # sent to the new mobile
    current_password: str | None  # an account with a password gives it as well
    current_code: str | None  # every account: a change_mobile code sent to its current mobile
    client: ClientContext
    session_token: str  # this browser's session: it continues under a new id, every other one ends


class ChangeMobile:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        codes: Codes,
        rules: Rules,
        sender: SmsSender,
    ):
        self.uow, self.hasher, self.clock, self.codes, self.rules = uow, hasher, clock, codes, rules
        self.sender = sender

    def __call__(self, cmd: MobileChange) -> NewSession:
        now, rules = self.clock.now(), self.rules
        purpose = SmsPurpose.CHANGE_MOBILE.stored_purpose(cmd.user_id)
        with self.uow() as uow:
            user = uow.users.get(cmd.user_id)
            if user is None:
                raise errors.LoginRequired()
            event: EventFacts = {"now": now, "client": cmd.client, "mobile": user.mobile, "user_id": user.id}
            try:
                mobile = normalize_mobile(cmd.mobile)
                if mobile == user.mobile:
                    raise errors.MobileUnchanged()
            except errors.DomainError as error:
                record_refusal_and_raise(uow, error, EventType.MOBILE_CHANGE_REFUSED, **event)
        with self.uow() as uow:
            # Both tries counted before either refusal: each code spends its own allowance on every attempt.
            new_code = check_code(uow, mobile, purpose, cmd.code, now, rules, cmd.client)
            current_code = check_code(uow, user.mobile, purpose, cmd.current_code or "", now, rules, cmd.client)
            if new_code is None:
                record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.MOBILE_CHANGE_REFUSED, **event)
            if current_code is None:
                record_refusal_and_raise(uow, errors.CurrentCodeInvalid(), EventType.MOBILE_CHANGE_REFUSED, **event)
            armed_lock = False
            if user.password_hash is not None:
                user = uow.users.get_for_update(cmd.user_id)
                if user is None:
                    raise errors.LoginRequired()
                try:
                    if remaining := user.lock_remaining(now):
                        raise errors.AccountLocked.for_seconds(remaining)
                    armed_lock = user.start_login_attempt(now, rules)  # counted before the compare
                except errors.DomainError as error:
                    record_refusal_and_raise(uow, error, EventType.MOBILE_CHANGE_REFUSED, **event)
            uow.commit()
        # Outside any transaction: argon2 takes tens of milliseconds and must not hold the row.
        # An account without a password has only its two codes (a set password is never removed).
        has_password = user.password_hash is not None
        matches = not has_password or self.hasher.verify(
            user.password_hash or "", normalize_password(cmd.current_password or "")
        )
        try:
            renewed = self._change(
                cmd, mobile, purpose, new_code, current_code, matches, has_password, armed_lock, event
            )
        except errors.Conflict:  # another account took the mobile meanwhile: the unique constraint kept it to one
            with self.uow() as uow:
                record_refusal_and_raise(uow, errors.MobileInUse(), EventType.MOBILE_CHANGE_REFUSED, **event)
        self._notify_old_mobile(event)
        return renewed

    def _notify_old_mobile(self, event: EventFacts) -> None:
        """The notice to the number the account left, after the change committed. Whatever the provider does, the
        change stands; what happened is recorded (and if even that fails, the change still stands)."""
        try:
            sent = self.sender.send_notice(event["mobile"], SmsNotice.MOBILE_CHANGED)
            outcome, facts = EventType.MOBILE_CHANGE_NOTICE_SENT, {"provider": sent.provider if sent else None}
        except errors.SmsProviderFailed as failure:
            outcome, facts = (
                EventType.MOBILE_CHANGE_NOTICE_FAILED,
                {"provider": failure.provider, "provider_code": failure.code},
            )
        except (errors.SmsNumberThrottled, errors.SmsNumberRejected) as refusal:
            outcome = EventType.MOBILE_CHANGE_NOTICE_FAILED
            facts = {"provider": refusal.provider, "provider_code": refusal.provider_code}
        except Exception as failure:  # a sender outside the port's promise: a failed notice, never a failed change
            outcome, facts = (
                EventType.MOBILE_CHANGE_NOTICE_FAILED,
                {"provider": None, "provider_code": type(failure).__name__},
            )
        try:
            with self.uow() as uow:
                record(uow, outcome, **event, **facts)
                uow.commit()
        except Exception:  # the database went away after the change committed: the answer still says it happened
            return

    def _change(
        self,
        cmd: MobileChange,
        mobile: str,
        purpose: str,
        new_code: int,
        current_code: int,
        matches: bool,
        has_password: bool,
        armed_lock: bool,
        event: EventFacts,
    ) -> NewSession:
        now, rules = event["now"], self.rules
        with self.uow() as uow:
            if matches:  # the codes' rows first, then the user's: the order the first transaction took them in
                if not spend_code(uow, mobile, purpose, new_code):
                    record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.MOBILE_CHANGE_REFUSED, **event)
                if not spend_code(uow, event["mobile"], purpose, current_code):
                    record_refusal_and_raise(uow, errors.CurrentCodeInvalid(), EventType.MOBILE_CHANGE_REFUSED, **event)
            user = uow.users.get_for_update(cmd.user_id)
            if user is None or user.mobile != event["mobile"]:
                raise errors.LoginRequired()  # erased, or moved by a racing change: this request proves nothing now
            if not matches:  # counts toward the lock as at sign-in
                refuse_wrong_password(
                    uow, user, armed_lock, errors.CurrentPasswordInvalid(), EventType.MOBILE_CHANGE_REFUSED, **event
                )
            if has_password:
                user.login_succeeded()  # the right current password clears the count, as at sign-in
            if uow.users.get_by_mobile(mobile) is not None:
                record_refusal_and_raise(uow, errors.MobileInUse(), EventType.MOBILE_CHANGE_REFUSED, **event)
            session = uow.sessions.get_for_update(session_digest(rules, cmd.session_token))
            if session is None or session.user_id != user.id or not session.is_active(now, rules):
                raise errors.LoginRequired()  # this session ended meanwhile: change nothing
            uow.sessions.end_all(user.id, now, SessionEnd.MOBILE_CHANGED)  # this one too: it gets a new id
            renewed = rotate_session(uow, self.codes, rules, current=session, now=now, client=cmd.client)
            # Last, so that the first flush to meet a racing account's commit is the commit's own: Conflict.
            old = user.change_mobile(mobile)
            record(
                uow,
                EventType.MOBILE_CHANGED,
                **(event | {"mobile": mobile}),
                old_mobile=mask_mobile(old),
                new_mobile=mask_mobile(mobile),
            )
            uow.commit()
            return renewed
