"""RequestSmsCode: captcha, format, cooldown, caps, storage and sender failure."""

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import ClientContext, EventType
from domain.model import digest
from domain.use_cases.request_sms_code import SmsCodeRequest
from tests.builders import CLIENT, MOBILE, add_user, make_services, new_captcha, request_code, sms_request
from tests.fakes import FakeCodes

NOW = "2024-01-01 12:00:00"


def refusal_reasons(s):
    return [e.detail["reason"] for e in s.store.events_of(EventType.SMS_CODE_REFUSED)]


@freeze_time(NOW)
def test_sends_six_digits_and_stores_only_a_digest():
    s = make_services(codes=FakeCodes(digits=["480913"]))
    s.request_sms_code(sms_request(s, " 13800138000 "))
    assert s.sender.sent == [(MOBILE, "480913", "register")]
    assert ("digits", 6) in s.codes.calls
    [c] = s.store.sms.rows
    assert c.mobile == MOBILE and c.client_ip == CLIENT.ip
    assert c.code_digest == digest(b"test-key", "register", MOBILE, "480913")
    assert c.expires_at - c.created_at == timedelta(minutes=5)
    assert "480913" not in repr(vars(c)) + repr(s.store.events)
    assert (c.status, c.provider, c.message_id) == ("sent", "fake", "fake-1")
    [event] = s.store.events_of(EventType.SMS_CODE_SENT)
    assert (event.mobile, event.client) == (MOBILE, CLIENT)
    assert event.detail == {"purpose": "register", "provider": "fake", "message_id": "fake-1"}


def test_default_codes_are_six_digits():
    s = make_services()
    assert re.fullmatch(r"\d{6}", request_code(s))


@pytest.mark.parametrize("mobile", ["1380013800", "12800138000", "abc"])
def test_invalid_mobile_is_refused_and_recorded(mobile):
    s = make_services()
    with pytest.raises(errors.InvalidMobile):
        s.request_sms_code(sms_request(s, mobile))
    assert s.sender.sent == [] and s.store.sms.rows == []
    [event] = s.store.events_of(EventType.SMS_CODE_REFUSED)
    assert (event.detail["reason"], event.mobile, event.client) == ("invalid_mobile", None, CLIENT)


def test_unknown_purpose_is_invalid_input():
    s = make_services()
    with pytest.raises(errors.InvalidInput):
        s.request_sms_code(sms_request(s, purpose="admin"))
    assert s.sender.sent == []


def test_wrong_captcha_is_refused_and_consumes_it():
    s = make_services()
    req = sms_request(s, captcha="WXYZ")
    with pytest.raises(errors.CaptchaInvalid) as exc:
        s.request_sms_code(req)
    assert exc.value.slug == "captcha_invalid"
    assert s.store.captchas.rows == {}
    with pytest.raises(errors.CaptchaInvalid):  # the right answer is too late now
        s.request_sms_code(SmsCodeRequest(MOBILE, req.captcha_id, "ABCD", CLIENT))
    assert s.sender.sent == [] and refusal_reasons(s) == ["captcha_invalid", "captcha_invalid"]
    assert s.store.events_of(EventType.SMS_CODE_REFUSED)[0].mobile == MOBILE


@pytest.mark.parametrize("purpose", ["register", "reset_password", "login"])
def test_a_stranger_cannot_tell_a_registered_mobile_from_a_free_one(purpose):
    """The same answer, the same SMS sent, the same events and the same cooldown, registered or not."""
    seen = []
    for registered in (True, False):
        s = make_services(codes=FakeCodes(digits=["480913"]))
        if registered:
            add_user(s)
        with freeze_time(NOW) as frozen:
            answer = s.request_sms_code(sms_request(s, purpose=purpose))
            frozen.tick(30)
            with pytest.raises(errors.SmsCooldown) as cooldown:
                s.request_sms_code(sms_request(s, purpose=purpose))
        events = [
            (e.type, e.mobile, e.user_id, e.detail) for e in s.store.events if e.type != EventType.USER_REGISTERED
        ]
        seen.append((answer, cooldown.value.args, s.sender.sent, events))
    assert seen[0] == seen[1]
    assert seen[0][2] == [(MOBILE, "480913", purpose)]


def test_cooldown_of_60_seconds_across_purposes():
    s = make_services()
    with freeze_time(NOW) as frozen:
        request_code(s)
        add_user(s)  # registered with that code; at once wants a reset code
        frozen.tick(30)
        with pytest.raises(errors.SmsCooldown) as exc:
            s.request_sms_code(sms_request(s, purpose="reset_password"))
        assert exc.value.slug == "sms_cooldown" and 30 <= exc.value.retry_after <= 31
        assert exc.value.facts == {"seconds": exc.value.retry_after}
        assert refusal_reasons(s) == ["sms_cooldown"]
        frozen.tick(29)
        with pytest.raises(errors.SmsCooldown):
            s.request_sms_code(sms_request(s, purpose="reset_password"))
        frozen.tick(1)
        request_code(s, purpose="reset_password")
    assert len(s.sender.sent) == 2


def test_new_code_replaces_the_old_one():
    s = make_services(codes=FakeCodes(digits=["111111", "222222"]))
    with freeze_time(NOW) as frozen:
        request_code(s)
        frozen.tick(60)
        request_code(s)
    old, new = s.store.sms.rows
    assert old.spent and not new.spent
    assert s.store.sms.current_for_update(MOBILE, "register") is new


def test_ten_per_mobile_per_24_hours():
    s = make_services()
    addresses = [ClientContext(ip=f"198.51.100.{i}") for i in range(10)]  # under the per-address cap
    with freeze_time(NOW) as frozen:
        for client in addresses:
            request_code(s, client=client)
            frozen.tick(60)
        with pytest.raises(errors.SmsLimitReached) as exc:
            s.request_sms_code(sms_request(s, client=ClientContext(ip="198.51.100.99")))
        assert (exc.value.slug, exc.value.retry_after) == ("sms_limit", 86400)
        assert refusal_reasons(s) == ["sms_limit"]
        frozen.move_to("2024-01-02 12:00:00")  # the first send is exactly 24 h old: still counted
        with pytest.raises(errors.SmsLimitReached):
            s.request_sms_code(sms_request(s, client=addresses[0]))
        frozen.tick(1)
        request_code(s, client=addresses[0])
    assert len(s.sender.sent) == 11


def test_thirty_per_ip_per_24_hours():
    s = make_services()
    mobiles = [f"139{i:08d}" for i in range(32)]
    with freeze_time(NOW) as frozen:
        for mobile in mobiles[:30]:
            request_code(s, mobile)
        with pytest.raises(errors.SmsLimitReached):
            s.request_sms_code(sms_request(s, mobiles[30]))
        request_code(s, mobiles[30], client=ClientContext(ip="198.51.100.1"))  # another IP is not capped
        frozen.tick(timedelta(hours=24, seconds=1))
        request_code(s, mobiles[31])
    assert len(s.sender.sent) == 32


def test_sender_failure_kills_the_new_code_keeps_the_old_and_spends_no_cooldown():
    s = make_services(codes=FakeCodes(digits=["111111", "222222", "333333"]))
    with freeze_time(NOW) as frozen:
        request_code(s)
        frozen.tick(60)
        s.sender.fail = True
        req = sms_request(s)
        with pytest.raises(errors.SmsUnavailable) as exc:
            s.request_sms_code(req)
        assert exc.value.slug == "sms_unavailable"
        old, failed_code = s.store.sms.rows
        assert not old.spent  # the replacement never went out: the old code still works
        assert (failed_code.status, failed_code.spent) == ("failed", True)  # and the new one never will
        assert s.store.sms.current_for_update(MOBILE, "register") is old
        assert req.captcha_id not in s.store.captchas.rows  # the captcha stays used
        assert len(s.store.events_of(EventType.SMS_CODE_SENT)) == 1  # only the first send
        [failed] = s.store.events_of(EventType.SMS_CODE_SEND_FAILED)
        assert (failed.mobile, failed.client) == (MOBILE, CLIENT)
        assert failed.detail == {
            "purpose": "register",
            "reason": "sms_unavailable",
            "provider": None,
            "provider_code": "RuntimeError",
        }  # the type of what the sender raised
        s.sender.fail = False
        assert request_code(s) == "333333"  # right away: no cooldown was spent
    assert [c.spent for c in s.store.sms.rows] == [True, True, False]


def test_failed_send_with_reused_captcha_is_refused():
    s = make_services()
    s.sender.fail = True
    captcha_id, text = new_captcha(s)
    req = SmsCodeRequest(MOBILE, captcha_id, text, CLIENT)
    with pytest.raises(errors.SmsUnavailable):
        s.request_sms_code(req)
    s.sender.fail = False
    with pytest.raises(errors.CaptchaInvalid):
        s.request_sms_code(req)
