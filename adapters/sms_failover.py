"""The providers in SMS_PROVIDER order: the next one is tried after a provider-side failure, never after the
provider refused the number itself (flow control, invalid or blocked number: another provider would only spend
that number's allowance there too, or refuse it again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import structlog

from domain import errors, ports
from domain.model import SentSms, SmsNotice, SmsPurpose
from domain.ports import SmsSender

log = structlog.get_logger("sms")


class FailoverSmsSender:
    def __init__(self, senders: Sequence[SmsSender]):
        if not senders:
            raise ValueError("at least one SMS sender")
        self.senders = list(senders)

    def send_code(self, mobile: str, code: str, purpose: SmsPurpose) -> SentSms:
        return self._first_that_sends(lambda sender: sender.send_code(mobile, code, purpose), mobile, purpose)

    def send_notice(self, mobile: str, notice: SmsNotice) -> SentSms:
        return self._first_that_sends(lambda sender: sender.send_notice(mobile, notice), mobile, notice)

    def _first_that_sends(self, send: Callable[[SmsSender], SentSms], mobile: str, purpose: str) -> SentSms:
        failure: errors.SmsProviderFailed | None = None
        for sender in self.senders:
            try:
                return send(sender)
            except errors.SmsProviderFailed as error:
                # Provider and code only: the mobile is masked by the logging setup, the code never logged.
                log.warning(
                    "sms_provider_failed", provider=error.provider, code=error.code, mobile=mobile, purpose=purpose
                )
                failure = error
        assert failure is not None  # there is at least one sender, and each one failed
        raise failure


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _sms_sender: type[ports.SmsSender] = FailoverSmsSender
