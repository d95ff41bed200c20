"""Aliyun SMS (dysmsapi 2017-05-25, SendSms) through the official SDK, alibabacloud-dysmsapi20170525.

Nothing secret or personal leaves through an error: the SDK's exception texts can carry the request (the mobile)
and are never logged or raised; only the provider's error code, or one of ours, is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from domain import errors, ports
from domain.model import SentSms

NAME = "aliyun"
DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
# Codes about this number, not about the provider: no other provider is tried for them.
THROTTLED = frozenset({"isv.BUSINESS_LIMIT_CONTROL"})  # 1 a minute, 5 an hour, 10 a day per number and sign
REJECTED = frozenset({"isv.MOBILE_NUMBER_ILLEGAL"})


def refusal(code: str) -> Exception:
    """The domain's refusal for one of the provider's error codes."""
    if code in THROTTLED:
        return errors.SmsNumberThrottled(NAME, code)
    if code in REJECTED:
        return errors.SmsNumberRejected(NAME, code)
    return errors.SmsProviderFailed(NAME, code)


def transport_code(error: Exception) -> str:
    """Our code for a failure with no provider code: the SDK wraps requests' errors in text."""
    if code := getattr(error, "code", None):
        return str(code)  # an HTTP 4xx/5xx with a JSON error body: the provider's code
    inner = getattr(error, "inner_exception", None)
    text = str(getattr(inner, "message", "") or "")
    if "timed out" in text:
        return "timeout"
    if isinstance(inner, (RuntimeError, ValueError)):  # an answer that is not the provider's JSON (an HTML 502)
        return "bad_response"
    return "network_error"


class AliyunSmsSender:
    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        timeout: float,
        endpoint: str | None = None,
        protocol: str = "https",
    ):
        millis = int(timeout * 1000)
        self._client = Client(
            Config(
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                endpoint=endpoint or DEFAULT_ENDPOINT,
                protocol=protocol,
                connect_timeout=millis,
                read_timeout=millis,
            )
        )
        # No retries: a second provider is the retry, and a retried SendSms could deliver the same code twice.
        self._runtime = RuntimeOptions(autoretry=False, max_attempts=0, connect_timeout=millis, read_timeout=millis)
        self.sign_name, self.templates = sign_name, dict(templates)

    def __repr__(self) -> str:
        return f"AliyunSmsSender(sign_name={self.sign_name!r})"  # the keys stay out of any repr

    def send_code(self, mobile: str, code: str, purpose: str) -> SentSms:
        return self._send(mobile, self.templates[purpose], json.dumps({"code": code}))

    def send_notice(self, mobile: str, notice: str) -> SentSms:
        return self._send(mobile, self.templates[notice], None)

    def _send(self, mobile: str, template: str, param: str | None) -> SentSms:
        request = models.SendSmsRequest(
            phone_numbers=mobile, sign_name=self.sign_name, template_code=template, template_param=param
        )
        try:
            body = self._client.send_sms_with_options(request, self._runtime).body
        except Exception as error:  # the SDK raises Tea/Dara exceptions, requests' errors and JSON errors
            raise refusal(transport_code(error)) from None  # from None: the SDK's text names the mobile
        if body is None or not body.code:
            raise errors.SmsProviderFailed(NAME, "bad_response")
        if body.code == "OK":
            return SentSms(NAME, body.biz_id)
        raise refusal(body.code)


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _sms_sender: type[ports.SmsSender] = AliyunSmsSender
