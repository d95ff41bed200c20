"""The Aliyun and Tencent adapters, on their official SDKs, against local HTTP servers playing each provider
(tests/sms_provider_fakes.py): the fields they send, and what every kind of answer becomes."""

from __future__ import annotations

import logging
import time

import pytest

from adapters.logging import configure_logging
from adapters.sms_aliyun import AliyunSmsSender
from adapters.sms_failover import FailoverSmsSender
from adapters.sms_tencent import TencentSmsSender
from domain import errors
from tests.sms_provider_fakes import FakeAliyun, FakeTencent

MOBILE, CODE = "13800138000", "480913"
SECRET = "s3cret-Key-That-Must-Never-Show-0123456789"
TIMEOUT = 3.0  # generous: a loaded CI machine must not turn a slow answer into a "timeout"


def make_sender(kind: str, fake, secret: str = SECRET, key_id: str | None = None):
    host = fake.url.removeprefix("http://")
    if kind == "aliyun":
        return AliyunSmsSender(
            access_key_id=key_id or fake.key_id,
            access_key_secret=secret,
            sign_name="阿里签名",
            templates={"register": "SMS_001", "reset_password": "SMS_002"},
            timeout=TIMEOUT,
            endpoint=host,
            protocol="http",
        )
    return TencentSmsSender(
        secret_id=key_id or fake.key_id,
        secret_key=secret,
        app_id="1400006666",
        sign_name="腾讯签名",
        templates={"register": "449739", "reset_password": "449740"},
        region="ap-shanghai",
        timeout=TIMEOUT,
        endpoint=host,
        protocol="http",
    )


def make_fake(kind: str, delay: float = 0.0):
    fake = FakeAliyun("LTAI-test-key", SECRET, delay) if kind == "aliyun" else FakeTencent("AKID-test", SECRET, delay)
    return fake.start()


@pytest.fixture(params=["aliyun", "tencent"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def fake(kind):
    fake = make_fake(kind)
    yield fake
    fake.stop()


def test_success_returns_the_message_id_and_sends_the_right_fields(kind, fake):
    sender = make_sender(kind, fake)
    sent = sender.send_code(MOBILE, CODE, "reset_password")
    [received] = fake.received
    template = {"aliyun": "SMS_002", "tencent": "449740"}[kind]
    sign = {"aliyun": "阿里签名", "tencent": "腾讯签名"}[kind]
    assert (received["mobile"], received["code"], received["template"], received["sign_name"]) == (
        MOBILE,
        CODE,
        template,
        sign,
    )
    if kind == "tencent":
        assert received["region"] == "ap-shanghai"
    assert sent.provider == kind and sent.message_id == {"aliyun": "000001^0", "tencent": "2640:0000000001"}[kind]


@pytest.mark.parametrize(
    "mode, refusal, code",
    [
        (
            "throttled",
            errors.SmsNumberThrottled,
            {"aliyun": "isv.BUSINESS_LIMIT_CONTROL", "tencent": "LimitExceeded.PhoneNumberDailyLimit"},
        ),
        (
            "invalid_number",
            errors.SmsNumberRejected,
            {"aliyun": "isv.MOBILE_NUMBER_ILLEGAL", "tencent": "InvalidParameterValue.IncorrectPhoneNumber"},
        ),
    ],
)
def test_refusals_about_the_number(kind, fake, mode, refusal, code):
    fake.mode = mode
    with pytest.raises(refusal) as raised:
        make_sender(kind, fake).send_code(MOBILE, CODE, "register")
    assert (raised.value.provider, raised.value.provider_code) == (kind, code[kind])


@pytest.mark.parametrize(
    "mode, code",
    [
        ("balance", {"aliyun": "isv.AMOUNT_NOT_ENOUGH", "tencent": "FailedOperation.InsufficientBalanceInSmsPackage"}),
        (
            "sign_name",
            {"aliyun": "isv.SMS_SIGNATURE_ILLEGAL", "tencent": "FailedOperation.SignatureIncorrectOrUnapproved"},
        ),
        (
            "template",
            {"aliyun": "isv.SMS_TEMPLATE_ILLEGAL", "tencent": "FailedOperation.TemplateIncorrectOrUnapproved"},
        ),
        ("http_500", {"aliyun": "bad_response", "tencent": "ServerNetworkError"}),
    ],
)
def test_provider_side_failures(kind, fake, mode, code):
    fake.mode = mode
    with pytest.raises(errors.SmsProviderFailed) as raised:
        make_sender(kind, fake).send_code(MOBILE, CODE, "register")
    assert (raised.value.provider, raised.value.code) == (kind, code[kind])


def test_wrong_credentials_get_the_providers_own_authentication_errors(kind, fake):
    """The fake checks the request signature with the real secret: a wrong one fails as the provider fails it."""
    with pytest.raises(errors.SmsProviderFailed) as wrong_secret:
        make_sender(kind, fake, secret="not-the-secret").send_code(MOBILE, CODE, "register")
    with pytest.raises(errors.SmsProviderFailed) as unknown_key:
        make_sender(kind, fake, key_id="someone-else").send_code(MOBILE, CODE, "register")
    assert (
        wrong_secret.value.code == {"aliyun": "SignatureDoesNotMatch", "tencent": "AuthFailure.SignatureFailure"}[kind]
    )
    assert (
        unknown_key.value.code
        == {"aliyun": "InvalidAccessKeyId.NotFound", "tencent": "AuthFailure.SecretIdNotFound"}[kind]
    )
    assert fake.received == []


def test_a_hang_ends_at_the_timeout(kind, fake):
    fake.mode = "hang"
    started = time.monotonic()
    with pytest.raises(errors.SmsProviderFailed) as raised:
        make_sender(kind, fake).send_code(MOBILE, CODE, "register")
    elapsed = time.monotonic() - started
    assert raised.value.code == "timeout" and TIMEOUT * 0.9 <= elapsed < TIMEOUT + 1.5


def test_nothing_listening_is_a_network_error(kind):
    fake = make_fake(kind)
    sender = make_sender(kind, fake)
    fake.stop()
    with pytest.raises(errors.SmsProviderFailed) as raised:
        sender.send_code(MOBILE, CODE, "register")
    assert raised.value.code == "network_error"


def test_no_secret_code_or_mobile_in_errors_reprs_or_logs(kind, fake, caplog):
    configure_logging(json=True)  # as the app does: it holds the SDKs' HTTP loggers at WARNING
    caplog.set_level(logging.DEBUG)  # even with the rest of the process at DEBUG
    sender = make_sender(kind, fake)
    for mode in ("ok", "balance", "http_500", "throttled", "hang"):
        fake.mode = mode
        try:
            sender.send_code(MOBILE, CODE, "register")
            continue
        except Exception as error:  # noqa: BLE001 - every kind of failure is looked at
            raised = error
        shown = f"{raised!s} {raised!r} {sender!r}"
        assert SECRET not in shown and CODE not in shown and MOBILE not in shown, shown
        assert raised.__cause__ is None  # the SDK's exception, with its text, stays inside the adapter
        assert raised.__context__ is None or raised.__suppress_context__
    logged = caplog.text  # every stdlib logger: the SDKs', requests' and urllib3's
    assert SECRET not in logged and CODE not in logged and MOBILE not in logged, logged


# --- the failover chain, over both real adapters ------------------------------------------------------------


@pytest.fixture
def both():
    aliyun, tencent = make_fake("aliyun"), make_fake("tencent")
    yield aliyun, tencent
    aliyun.stop()
    tencent.stop()


class RecordingLog:
    """Stands in for the adapter's structlog logger (whose output the app's logging setup renders and masks)."""

    def __init__(self):
        self.lines: list[tuple[str, dict]] = []

    def warning(self, event: str, **fields) -> None:
        self.lines.append((event, fields))


@pytest.mark.parametrize("mode", ["balance", "http_500", "hang", "sign_name"])
def test_a_provider_side_failure_moves_on_to_the_next_provider_and_the_log_names_it(both, mode, monkeypatch):
    logged = RecordingLog()
    monkeypatch.setattr("adapters.sms_failover.log", logged)
    aliyun, tencent = both
    aliyun.mode = mode
    chain = FailoverSmsSender([make_sender("aliyun", aliyun), make_sender("tencent", tencent)])
    sent = chain.send_code(MOBILE, CODE, "register")
    assert sent.provider == "tencent" and tencent.codes() == [(MOBILE, CODE)]
    [(event, fields)] = logged.lines
    expected = {
        "balance": "isv.AMOUNT_NOT_ENOUGH",
        "http_500": "bad_response",
        "hang": "timeout",
        "sign_name": "isv.SMS_SIGNATURE_ILLEGAL",
    }[mode]
    assert (event, fields["provider"], fields["code"]) == ("sms_provider_failed", "aliyun", expected)
    assert CODE not in repr(fields) and SECRET not in repr(fields)


@pytest.mark.parametrize("mode", ["throttled", "invalid_number"])
def test_a_refusal_of_the_number_is_not_tried_elsewhere(both, mode):
    aliyun, tencent = both
    aliyun.mode = mode
    chain = FailoverSmsSender([make_sender("aliyun", aliyun), make_sender("tencent", tencent)])
    with pytest.raises((errors.SmsNumberThrottled, errors.SmsNumberRejected)):
        chain.send_code(MOBILE, CODE, "register")
    assert tencent.received == []


def test_when_every_provider_fails_the_last_failure_is_raised(both):
    aliyun, tencent = both
    aliyun.mode, tencent.mode = "balance", "http_500"
    chain = FailoverSmsSender([make_sender("aliyun", aliyun), make_sender("tencent", tencent)])
    with pytest.raises(errors.SmsProviderFailed) as raised:
        chain.send_code(MOBILE, CODE, "register")
    assert (raised.value.provider, raised.value.code) == ("tencent", "ServerNetworkError")
