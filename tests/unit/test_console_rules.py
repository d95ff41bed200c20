"""The console's pure rules: the stored digests, the search box, the export's filter description, the metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.console import EventFilter, UserQuery, metric_of, with_masked_mobiles
from domain.events import AuditEvent, ClientContext, EventType
from domain.model import session_digest
from domain.operators import Operator, Role, recovery_digest, setup_digest
from tests.builders import TEST_RULES

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_the_digests_of_console_secrets_are_the_same_in_every_release():
    # Stored digests must keep matching: a changed formula would void every setup link, recovery code and
    # console session at a deploy. Each is bound to its purpose, and a recovery code to its operator.
    assert recovery_digest(TEST_RULES, 7, "abcd2345efgh") == (
        "eaa81d177e18d0d5dc573e536e358d824871e71820c06903b205d76290e7947a"
    )
    assert setup_digest(TEST_RULES, " a-setup-token ") == (
        "9af673b089653b54b3a0986d84ce30c8714b6646ba5be9ee13afe7d9d8be6d25"
    )
    assert session_digest(TEST_RULES, "a-console-session", operator=True) == (
        "7452bcbe5dcb7ab60fc42bf0aa50cd9da9023a5d722663d32deeece6b3bcb5fc"
    )


def test_an_operator_acts_under_its_own_id():
    actor = Operator("wang", "auditor", T0, id=3).actor()
    assert (actor.operator_id, actor.username, actor.role) == (3, "wang", Role.AUDITOR)


@pytest.mark.parametrize(
    "raw, query",
    [
        ("  ", UserQuery()),
        ("12", UserQuery(user_id=12, nickname_prefix="12")),
        ("138", UserQuery(user_id=138, mobile_prefix="138", nickname_prefix="138")),
        ("1" * 18, UserQuery(user_id=int("1" * 18), mobile_prefix="1" * 18, nickname_prefix="1" * 18)),
        ("1" * 19, UserQuery(mobile_prefix="1" * 19, nickname_prefix="1" * 19)),
        ("1" * 40, UserQuery(mobile_prefix="1" * 40, nickname_prefix="1" * 32)),
        ("alice", UserQuery(nickname_prefix="alice")),
        ("a" * 40, UserQuery(nickname_prefix="a" * 32)),
        ("\uff11\uff12\uff13", UserQuery(nickname_prefix="\uff11\uff12\uff13")),  # full-width digits: a nickname
    ],
)
def test_what_the_search_box_means_to_a_role_that_may_see_full_mobiles(raw, query):
    assert UserQuery.parse(raw, prefix_on_mobiles=True) == query


@pytest.mark.parametrize(
    "raw, query",
    [
        ("138", UserQuery(user_id=138, nickname_prefix="138")),
        ("1380013800", UserQuery(user_id=1380013800, nickname_prefix="1380013800")),  # ten digits: no mobile
        ("13800138000", UserQuery(user_id=13800138000, mobile="13800138000", nickname_prefix="13800138000")),
        ("138001380001", UserQuery(user_id=138001380001, nickname_prefix="138001380001")),
        ("1" * 40, UserQuery(nickname_prefix="1" * 32)),
        ("alice", UserQuery(nickname_prefix="alice")),
    ],
)
def test_without_the_full_mobile_grant_only_a_whole_mobile_is_searched_and_exactly(raw, query):
    assert UserQuery.parse(raw) == query
    assert not UserQuery(mobile="13800138000").empty


def test_a_role_without_the_full_mobile_grant_sees_every_mobile_of_an_event_masked():
    event = AuditEvent(
        EventType.ADMIN_AUDIT_EXPORTED,
        T0,
        ClientContext(),
        mobile="13800138000",
        detail={"filters": {"mobile": "13912345678", "types": ["x"]}, "list": ["13700137000", 5], "rows": 3},
    )
    masked = with_masked_mobiles(event)
    assert (masked.mobile, masked.detail) == (
        "138****8000",
        {"filters": {"mobile": "139****5678", "types": ["x"]}, "list": ["137****7000", 5], "rows": 3},
    )
    assert event.detail["filters"]["mobile"] == "13912345678"  # the stored event is untouched
    assert with_masked_mobiles(AuditEvent(EventType.LOGIN_FAILED, T0, ClientContext())).mobile is None


def test_the_export_describes_the_filters_that_were_set():
    assert EventFilter().describe() == {}
    full = EventFilter(
        types=("login.failed",),
        mobile="13800138000",
        user_id=5,
        ip="203.0.113.7",
        since=T0,
        until=datetime(2026, 1, 2, tzinfo=UTC),
    )
    assert full.describe() == {
        "types": ["login.failed"],
        "mobile": "13800138000",
        "user_id": 5,
        "ip": "203.0.113.7",
        "since": "2026-01-01T12:00:00+00:00",
        "until": "2026-01-02T00:00:00+00:00",
    }


def test_each_event_type_counts_toward_one_metric_at_most():
    assert metric_of("login.succeeded", "sms") == "sign_ins_sms"
    assert metric_of("login.succeeded", None) == "sign_ins_password"
    assert metric_of("sms_code.delivery_failed", None) == "sms_failed"
    assert metric_of("captcha.issued", None) is None
