"""Send an SMS code: two short transactions around the provider call, never one held across it.

1. Checks, under the mobile's and the client address's quota locks; the challenge is stored "sending"; commit.
2. The provider call, with no transaction, row lock or SQLite write lock held (it can take seconds, or hang
   until the adapter's timeout).
3. The outcome in a second transaction: "sent" with the provider's message id and `sms_code.sent`, or "failed"
   (the code dead, counted against no limit) and `sms_code.send_failed`.

docs/sms-providers.md ("The send path") lists what holds if the process dies between the steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise
from domain.flows.captcha import take_captcha
from domain.model import SentSms, SmsChallenge, SmsPurpose, SmsStatus, digest, normalize_mobile
from domain.ports import Clock, Codes, SmsSender, UnitOfWork, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class SmsCodeRequest:
    mobile: str | None  # None with user_id: the signed-in account's own mobile
    captcha_id: str
    captcha: str
    client: ClientContext
    purpose: SmsPurpose = SmsPurpose.REGISTER
    user_id: int | None = None  # the signed-in account, for the purposes SmsPurpose.for_account


@dataclass(frozen=True)
class SmsCodeSent:
    provider: str | None
    message_id: str | None
    recorded: bool = True  # False: the SMS went out but its outcome could not be stored (docs/sms-providers.md)
    record_error: str | None = None


class RequestSmsCode:
    def __init__(self, uow: UnitOfWorkFactory, sender: SmsSender, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.sender, self.clock, self.codes, self.rules = uow, sender, clock, codes, rules

    def __call__(self, cmd: SmsCodeRequest) -> SmsCodeSent:
        try:
            cmd = replace(cmd, purpose=SmsPurpose(cmd.purpose))  # an entrypoint may pass the value
        except ValueError:
            raise errors.InvalidInput() from None
        # 设置密码 of an account without a password: the 忘记密码 code, to the signed-in account's own mobile only.
        own_reset = cmd.purpose is SmsPurpose.RESET_PASSWORD and cmd.user_id is not None and cmd.mobile is None
        if cmd.purpose.for_account != (cmd.user_id is not None) and not own_reset:
            raise errors.InvalidInput()
        now = self.clock.now()
        event: EventFacts = {"now": now, "client": cmd.client, "purpose": cmd.purpose.value, "user_id": cmd.user_id}
        challenge, code = self._store_challenge(cmd, event)
        event["mobile"] = challenge.mobile
        try:
            sent = self.sender.send_code(challenge.mobile, code, cmd.purpose)
        except (errors.SmsNumberThrottled, errors.SmsNumberRejected) as refusal:
            self._settle(self._record_failure, challenge, refusal.provider, refusal.provider_code, refusal, event)
            raise refusal
        except errors.SmsProviderFailed as failure:
            unavailable = errors.SmsUnavailable()
            self._settle(self._record_failure, challenge, failure.provider, failure.code, unavailable, event)
            raise unavailable from failure
        except Exception as failure:  # a sender outside the port's promise: still a failed send, not a 500
            unavailable = errors.SmsUnavailable()
            self._settle(self._record_failure, challenge, None, type(failure).__name__, unavailable, event)
            raise unavailable from failure
        sent = sent or SentSms(provider=None, message_id=None)  # a sender that reports nothing: sent, no id
        problem = self._settle(self._record_success, challenge, sent, event)
        return SmsCodeSent(sent.provider, sent.message_id, recorded=problem is None, record_error=problem)

    def _store_challenge(self, cmd: SmsCodeRequest, event: EventFacts) -> tuple[SmsChallenge, str]:
        """Step 1: every check, then the challenge, committed before anything is sent."""
        now, rules, ip = event["now"], self.rules, cmd.client.ip
        with self.uow() as uow:
            account = uow.users.get(cmd.user_id) if cmd.user_id is not None else None
            if cmd.user_id is not None and account is None:
                raise errors.LoginRequired()
            try:
                mobile = account.mobile if cmd.mobile is None and account else normalize_mobile(cmd.mobile or "")
            except errors.InvalidMobile as error:
                record_refusal_and_raise(uow, error, EventType.SMS_CODE_REFUSED, **event)
            event = {**event, "mobile": mobile}
            if not take_captcha(uow, cmd.captcha_id, cmd.captcha, now, rules):
                record_refusal_and_raise(uow, errors.CaptchaInvalid(), EventType.SMS_CODE_REFUSED, **event)
            owner = uow.users.get_by_mobile(mobile)
            # REGISTER, RESET_PASSWORD and LOGIN, the purposes a stranger reaches, go to any valid mobile, registered
            # or not: the same answer, the same provider call (so the same time) and the same cooldown and limits.
            # Whether the number is registered is told only to whoever proves it with the code (RegisterUser,
            # ResetPassword); its owner, sent a sign-up code they did not ask for, learns that someone tried.
            if (
                cmd.purpose == SmsPurpose.CHANGE_MOBILE and owner is not None and owner.id != cmd.user_id
            ):  # another account holds it
                record_refusal_and_raise(uow, errors.MobileInUse(), EventType.SMS_CODE_REFUSED, **event)
            if cmd.purpose == SmsPurpose.DELETE_ACCOUNT:
                assert account is not None  # an account's purpose: checked on entry
                if mobile != account.mobile:
                    raise errors.InvalidInput()  # the entrypoint sends 注销 codes to the account's own mobile only
            # From here to commit, other sends to this mobile or from this address wait: the counts below
            # cannot change under us, so racing requests cannot all slip under a limit.
            uow.sms.hold_send_locks(mobile, ip, now)
            now = self.clock.now()  # read after the wait: the sends that went before are in the past of this one
            if over := self._over_a_limit(uow, mobile, ip, now):
                record_refusal_and_raise(uow, over, EventType.SMS_CODE_REFUSED, **event)
            code = self.codes.digits(rules.sms_code_length)
            purpose = cmd.purpose.stored_purpose(cmd.user_id)
            challenge = SmsChallenge(
                mobile=mobile,
                purpose=purpose,
                code_digest=digest(rules.code_key, purpose, mobile, code),
                created_at=now,
                expires_at=now + rules.sms_code_ttl,
                client_ip=ip,
                status=SmsStatus.SENDING,
            )
            uow.sms.add(challenge)
            uow.commit()
        return challenge, code

    def _over_a_limit(self, uow: UnitOfWork, mobile: str, ip: str | None, now: datetime) -> errors.DomainError | None:
        rules = self.rules
        last = uow.sms.last_sent_at(mobile)
        if last is not None and now - last < rules.sms_cooldown:
            wait = math.ceil((rules.sms_cooldown - (now - last)).total_seconds())
            return errors.SmsCooldown(seconds=wait, retry_after=wait)
        since = now - rules.sms_cap_window
        if (
            uow.sms.count_for_mobile_since(mobile, since) >= rules.sms_per_mobile_cap
            or ip
            and uow.sms.count_for_ip_since(ip, since) >= rules.sms_per_ip_cap
            or ip
            and uow.sms.count_for_mobile_and_ip_since(mobile, ip, since) >= rules.sms_per_mobile_per_ip_cap
        ):
            return errors.SmsLimitReached(retry_after=int(rules.sms_cap_window.total_seconds()))
        return None

    def _record_success(self, challenge: SmsChallenge, sent: SentSms, event: EventFacts) -> None:
        assert challenge.id is not None  # committed by step 1
        with self.uow() as uow:
            stored = uow.sms.get_for_update(challenge.id)
            if stored is not None:
                stored.send_succeeded(sent)
                uow.sms.spend_older(challenge.mobile, challenge.purpose, than_id=challenge.id)
            record(uow, EventType.SMS_CODE_SENT, provider=sent.provider, message_id=sent.message_id, **event)
            uow.commit()

    def _record_failure(
        self,
        challenge: SmsChallenge,
        provider: str | None,
        provider_code: str,
        error: errors.DomainError,
        event: EventFacts,
    ) -> None:
        assert challenge.id is not None  # committed by step 1
        with self.uow() as uow:
            stored = uow.sms.get_for_update(challenge.id)
            if stored is not None:
                stored.send_failed(provider)
            record(
                uow,
                EventType.SMS_CODE_SEND_FAILED,
                reason=error.slug,
                provider=provider,
                provider_code=provider_code,
                **event,
            )
            uow.commit()

    @staticmethod
    def _settle(step: Callable[..., None], *args: object) -> str | None:
        """Step 3, tried twice (a dropped connection is replaced on the second go). If the database stays away,
        the answer still follows what the provider said: the challenge stays "sending" (it counts, and the
        code works if it arrived) until `accounts purge` settles it. Returns what went wrong, if anything."""
        problem = None
        for _ in range(2):
            try:
                step(*args)
                return None
            except Exception as error:  # the database's errors are the adapters' business, not the domain's
                problem = type(error).__name__
        return problem
