"""The event log as it leaves: payload shape and what it hides, type filters, the retry rule, public addresses."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import errors
from domain.outbox import OutboxEvent, RetryRule, TypeFilter, is_public_address, parse_types, payload, webhook_secret
from domain.use_cases.webhooks import parse_target

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def event(**fields) -> OutboxEvent:
    values = dict(
        id=7,
        seq=7,
        type="user.registered",
        occurred_at=NOW,
        user_id=42,
        mobile="13800138000",
        ip="203.0.113.7",
        user_agent="ua",
        request_id="req-1",
        detail={},
    )
    values.update(fields)
    return OutboxEvent(**values)


def test_the_payload_has_the_documented_fields_and_masks_the_mobile():
    body = payload(event(detail={"reason": "bad_credentials"}))
    assert body == {
        "id": 7,
        "type": "user.registered",
        "occurred_at": "2026-01-01T12:00:00.000000Z",
        "user_id": 42,
        "mobile_masked": "138****8000",
        "client": {"ip": "203.0.113.7", "user_agent": "ua", "request_id": "req-1"},
        "details": {"reason": "bad_credentials"},
    }
    assert "13800138000" not in str(body)


def test_a_sink_configured_for_full_mobiles_gets_them():
    body = payload(event(detail={"new_mobile": "13900139000"}), full_mobile=True)
    assert body["mobile"] == "13800138000" and body["details"]["new_mobile"] == "13900139000"


def test_secrets_in_details_never_leave_and_mobiles_in_details_are_masked():
    detail = {
        "captcha_id": "c",
        "code": "123456",
        "password_hash": "x",
        "session_id": "s",
        "api_key": "k",
        "token": "t",
        "reason": "sms_code_invalid",
        "old_mobile": "13900139000",
        "until": "later",
    }
    body = payload(event(detail=detail))
    assert body["details"] == {"reason": "sms_code_invalid", "old_mobile": "139****9000", "until": "later"}


def test_mobiles_and_secrets_are_cleaned_at_every_depth():
    detail = {
        "filters": {"mobile": "13800138000", "type": "login.failed", "token": "t"},
        "mobiles": ["13900139000", {"old": "13700137000", "code": "123456"}],
        "count": 3,
    }
    assert payload(event(detail=detail))["details"] == {
        "filters": {"mobile": "138****8000", "type": "login.failed"},
        "mobiles": ["139****9000", {"old": "137****7000"}],
        "count": 3,
    }
    full = payload(event(detail=detail), full_mobile=True)["details"]
    assert full["filters"] == {"mobile": "13800138000", "type": "login.failed"}
    assert full["mobiles"] == ["13900139000", {"old": "13700137000"}]


def test_type_filters_take_patterns_and_exclusions():
    default = TypeFilter.parse("", "captcha.issued,api_key.used")
    assert default("user.registered") and default("admin.user_locked") and not default("captcha.issued")
    only_users = TypeFilter.parse("user.*,login.failed", "")
    assert only_users("user.registered") and only_users("login.failed") and not only_users("login.succeeded")
    endpoint = default.narrowed(("login.*",))
    assert endpoint("login.failed") and not endpoint("user.registered")
    assert not TypeFilter.parse("", "captcha.*").narrowed(("captcha.issued",))("captcha.issued")  # exclusion wins
    assert TypeFilter.parse("sms_code.sent", "")("sms_code.sent") and not TypeFilter.parse("sms_code.sent", "")(
        "smsXcode.sent"
    )


@pytest.mark.parametrize("bad", ["user registered", "user.%", "User.Registered", "a" * 65, "user.[x]"])
def test_type_patterns_are_refused_when_malformed(bad):
    with pytest.raises(errors.EventTypesInvalid):
        parse_types(bad)


def test_retries_back_off_exponentially_with_jitter_and_stop_after_the_window():
    rule = RetryRule(base=timedelta(seconds=1), cap=timedelta(hours=1), give_up_after=timedelta(hours=24))
    low, high = (lambda: 0.0), (lambda: 1.0)
    assert rule.next_attempt(1, NOW, NOW, low) == NOW + timedelta(seconds=0.5)
    assert rule.next_attempt(1, NOW, NOW, high) == NOW + timedelta(seconds=1)
    assert rule.next_attempt(5, NOW, NOW, high) == NOW + timedelta(seconds=16)
    assert rule.next_attempt(30, NOW, NOW, high) == NOW + timedelta(hours=1)  # capped
    rng = random.Random(1).random
    delays = {rule.next_attempt(4, NOW, NOW, rng) - NOW for _ in range(50)}
    assert len(delays) > 40 and all(timedelta(seconds=4) <= d <= timedelta(seconds=8) for d in delays)
    near_end = NOW + timedelta(hours=23, minutes=59)
    assert rule.next_attempt(20, NOW, near_end, high) == NOW + timedelta(hours=24)  # the last try on the deadline
    assert rule.next_attempt(21, NOW, NOW + timedelta(hours=24), high) is None  # then the delivery has failed


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::10.0.0.1", False),
        ("::169.254.169.254", False),
        ("64:ff9b::127.0.0.1", False),  # NAT64, well-known prefix
        ("64:ff9b::a9fe:a9fe", False),  # 169.254.169.254, written in hex
        ("64:ff9b:1::10.0.0.1", False),  # NAT64, local-use prefix
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("64:ff9b::93.184.216.34", True),  # NAT64 to a public address is as public as the address
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
    ],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert is_public_address(address) is public


def test_webhook_urls_are_absolute_https_without_credentials_unless_private_is_allowed():
    assert parse_target("https://hooks.example.com/x", False).port == 443
    assert parse_target("http://10.0.0.5:8080/in", True).port == 8080
    for bad in (
        "http://hooks.example.com/x",
        "ftp://x/",
        "https://user:pw@hooks.example.com/",
        "/relative",
        "https://",
        "https://h:99999/",
        "https://h/#frag",
        "https://" + "a" * 2100,
    ):
        with pytest.raises(errors.WebhookUrlInvalid):
            parse_target(bad, False)


def test_an_endpoint_secret_is_a_standard_webhooks_secret_derived_from_key_and_salt():
    from standardwebhooks.webhooks import Webhook

    secret = webhook_secret(b"k" * 32, "salt")
    assert secret.startswith("whsec_") and secret == webhook_secret(b"k" * 32, "salt")
    assert secret != webhook_secret(b"k" * 32, "other") != webhook_secret(b"j" * 32, "salt")
    signed = Webhook(secret).sign("1", NOW, "{}")
    assert signed.startswith("v1,")


def test_the_payload_time_is_utc_whatever_the_servers_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        beijing = timezone(timedelta(hours=8))
        assert (
            payload(event(occurred_at=datetime(2026, 1, 1, 20, 0, tzinfo=beijing)))["occurred_at"]
            == "2026-01-01T12:00:00.000000Z"
        )
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_event_without_a_mobile_has_no_masked_one():
    assert payload(event(mobile=None))["mobile_masked"] is None


def test_type_lists_come_as_text_or_as_a_list():
    assert parse_types(["user.registered", " login.* ", "user.registered", ""]) == ("user.registered", "login.*")
    assert parse_types(None) == () and parse_types("") == ()


def test_an_endpoints_types_narrow_the_include_list_too():
    endpoint = TypeFilter.parse("login.*", "").narrowed(("login.failed", "user.registered"))
    assert endpoint("login.failed") and not endpoint("user.registered") and not endpoint("login.succeeded")


def test_the_backoff_stops_doubling_after_forty_doublings():
    """So that no count of failed tries overflows the delay; the cap is what bounds it in practice."""
    rule = RetryRule(base=timedelta(microseconds=1), cap=timedelta(days=100), give_up_after=timedelta(days=1000))
    assert rule.next_attempt(41, NOW, NOW, lambda: 1.0) == NOW + timedelta(microseconds=2**40)
    assert rule.next_attempt(10**6, NOW, NOW, lambda: 1.0) == NOW + timedelta(microseconds=2**40)


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.216.34%eth0", True),
        ("93.184.216.34%eth0%1", True),
        ("10.1.2.3%eth0", False),
        ("fe80::1%eth0", False),
    ],
)
def test_a_zone_index_is_ignored(address, public):
    assert is_public_address(address) is public
