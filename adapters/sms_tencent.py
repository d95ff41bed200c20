"""Tencent Cloud SMS (SendSms, API 2021-01-11) through the official SDK, tencentcloud-sdk-python-sms.

As with Aliyun, the SDK's exception texts (which can hold the request or the answer) never leave this module:
only the provider's error code, or one of ours, does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from domain import errors, ports
from domain.model import SentSms

NAME = "tencent"
REJECTED = frozenset({"InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist"})


def refusal(code: str) -> Exception:
    # LimitExceeded.PhoneNumberThirtySecondLimit, ...OneHourLimit, ...DailyLimit, ...SameContentDailyLimit: this
    # number's flow control. PhoneNumberCountLimit is about the request (too many numbers), so ours to fix.
    if code.startswith("LimitExceeded.PhoneNumber") and code != "LimitExceeded.PhoneNumberCountLimit":
        return errors.SmsNumberThrottled(NAME, code)
    if code in REJECTED:
        return errors.SmsNumberRejected(NAME, code)
    return errors.SmsProviderFailed(NAME, code)


def sdk_code(error: TencentCloudSDKException) -> str:
    code = error.get_code() or "network_error"
    if code == "ClientNetworkError":  # requests' error, as text: tell a timeout from the rest
        return "timeout" if "timed out" in str(error.get_message()) else "network_error"
    return code  # the API's own code, or ServerNetworkError for an HTTP status other than 200


class TencentSmsSender:
    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        app_id: str,
        sign_name: str,
        templates: Mapping[str, str],
        region: str,
        timeout: float,
        endpoint: str | None = None,
        protocol: str = "https",
    ):
        # One timeout for connecting and for reading (requests'); the SDK does not retry unless told to.
        http = HttpProfile(protocol=protocol, endpoint=endpoint, reqTimeout=timeout)
        self._client = SmsClient(Credential(secret_id, secret_key), region, ClientProfile(httpProfile=http))
        self.app_id, self.sign_name, self.templates = app_id, sign_name, dict(templates)

    def __repr__(self) -> str:
        return f"TencentSmsSender(app_id={self.app_id!r}, sign_name={self.sign_name!r})"

    def send_code(self, mobile: str, code: str, purpose: str) -> SentSms:
        return self._send(mobile, self.templates[purpose], [code])

    def send_notice(self, mobile: str, notice: str) -> SentSms:
        return self._send(mobile, self.templates[notice], [])

    def _send(self, mobile: str, template: str, params: list[str]) -> SentSms:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{mobile}"]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template
        request.TemplateParamSet = params
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as error:
            raise refusal(sdk_code(error)) from None
        except Exception:  # an answer the SDK could not read (not JSON): no text of it leaves here
            raise errors.SmsProviderFailed(NAME, "bad_response") from None
        statuses = response.SendStatusSet or []
        if len(statuses) != 1 or not statuses[0].Code:
            raise errors.SmsProviderFailed(NAME, "bad_response")
        if statuses[0].Code == "Ok":
            return SentSms(NAME, statuses[0].SerialNo)
        raise refusal(statuses[0].Code)


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _sms_sender: type[ports.SmsSender] = TencentSmsSender
