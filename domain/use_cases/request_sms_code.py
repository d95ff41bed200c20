from __future__ import annotations

import math
from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventType
from domain.model import SmsChallenge, digest, normalize_mobile
from domain.ports import Clock, Codes, SmsSender, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.common import record, record_refusal_and_raise
from domain.use_cases.take_captcha import take_captcha

PURPOSES = ("register", "reset_password")


@dataclass(frozen=True)
class SmsCodeRequest:
    mobile: str
    captcha_id: str
    captcha: str
    client: ClientContext
    purpose: str = "register"


class RequestSmsCode:
    def __init__(self, uow: UnitOfWorkFactory, sender: SmsSender, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.sender, self.clock, self.codes, self.rules = uow, sender, clock, codes, rules

    def __call__(self, cmd: SmsCodeRequest) -> None:
        if cmd.purpose not in PURPOSES:
            raise errors.InvalidInput()
        now, rules = self.clock.now(), self.rules
        event = {"now": now, "client": cmd.client, "purpose": cmd.purpose}
        with self.uow() as uow:
            try:
                mobile = normalize_mobile(cmd.mobile)
            except errors.InvalidMobile as error:
                record_refusal_and_raise(uow, error, EventType.SMS_CODE_REFUSED, **event)
            event["mobile"] = mobile
            if not take_captcha(uow, cmd.captcha_id, cmd.captcha, now, rules):
                record_refusal_and_raise(uow, errors.CaptchaInvalid(), EventType.SMS_CODE_REFUSED, **event)
            registered = uow.users.get_by_mobile(mobile) is not None
            if cmd.purpose == "register" and registered:
                record_refusal_and_raise(uow, errors.MobileTaken(), EventType.SMS_CODE_REFUSED, **event)
            if cmd.purpose == "reset_password" and not registered:
                record_refusal_and_raise(uow, errors.MobileNotRegistered(), EventType.SMS_CODE_REFUSED, **event)
            last = uow.sms.last_sent_at(mobile)
            if last is not None and now - last < rules.sms_cooldown:
                wait = math.ceil((rules.sms_cooldown - (now - last)).total_seconds())
                error = errors.SmsCooldown(seconds=wait, retry_after=wait)
                record_refusal_and_raise(uow, error, EventType.SMS_CODE_REFUSED, **event)
            since = now - rules.sms_cap_window
            window = int(rules.sms_cap_window.total_seconds())
            if uow.sms.count_for_mobile_since(mobile, since) >= rules.sms_per_mobile_cap or (
                cmd.client.ip and uow.sms.count_for_ip_since(cmd.client.ip, since) >= rules.sms_per_ip_cap
            ):
                record_refusal_and_raise(uow, errors.SmsLimitReached(retry_after=window), EventType.SMS_CODE_REFUSED,
                                         **event)

            code = self.codes.digits(rules.sms_code_length)
            uow.sms.spend_all(mobile, cmd.purpose)  # a new code replaces the old one
            uow.sms.add(
                SmsChallenge(
                    mobile=mobile,
                    purpose=cmd.purpose,
                    code_digest=digest(rules.code_key, cmd.purpose, mobile, code),
                    created_at=now,
                    expires_at=now + rules.sms_code_ttl,
                    client_ip=cmd.client.ip,
                )
            )
            record(uow, EventType.SMS_CODE_SENT, **event)
            try:
                # Sent before commit: if the provider fails, the code is never stored and no cooldown is spent.
                self.sender.send_code(mobile, code, cmd.purpose)
            except Exception as exc:  # any provider failure: the port promises no narrower type
                failure = exc
            else:
                uow.commit()
                return
        with self.uow() as uow:
            take_captcha(uow, cmd.captcha_id, cmd.captcha, now, rules)  # the captcha stays used
            record_refusal_and_raise(uow, errors.SmsUnavailable(), EventType.SMS_CODE_SEND_FAILED,
                                     provider_error=type(failure).__name__, **event)
