"""The console's Webhook page, on fakes: every endpoint with its lag, for admins and auditors alike; the role is
asked in the domain; nothing secret (salt, path, query string) in what the page gets."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain import errors
from domain.events import EventType
from domain.operators import GRANTS, Action, Role
from domain.use_cases.admin.webhooks import host_of, without_paths
from tests.builders import CLIENT, make_services
from tests.unit.admin_helpers import enrol, sign_in

CREATED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SLACK_LIKE = "https://hooks.example.com/services/T0001/B0002/s3cr3tT0ken?sig=abc123"


def console(role="admin"):
    s = make_services()
    enrol(s, role=role)
    return s, sign_in(s)


def add_endpoint(s, url, types=(), *, full_mobile=False, allow_private=False, salt="salt-never-shown"):
    return s.webhooks.add(url, types, allow_private, full_mobile, salt, CREATED)


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_every_endpoint_is_listed_with_its_lag_for_either_role(role):
    s, operator = console(role)
    first = add_endpoint(s, SLACK_LIKE, ("user.registered", "login.*"), full_mobile=True)
    second = add_endpoint(s, "http://10.0.0.5:8080/hook", allow_private=True)
    oldest = CREATED + timedelta(minutes=5)
    s.webhooks.lag[first] = (3, 12, oldest)
    s.webhooks.failed[first] = 2
    s.webhooks.rows[first] = replace(
        s.webhooks.rows[first],
        last_success_at=CREATED + timedelta(minutes=1),
        last_error="HTTP 503",
        last_error_at=CREATED + timedelta(minutes=6),
    )

    one, two = s.admin.view_webhooks(operator, CLIENT)

    assert (one.id, one.host, one.event_types, one.created_at) == (
        first,
        "hooks.example.com",
        ("user.registered", "login.*"),
        CREATED,
    )
    assert (one.pending, one.failed, one.behind, one.oldest_pending_at) == (3, 2, 12, oldest)
    assert (one.last_success_at, one.last_error, one.last_error_at) == (
        CREATED + timedelta(minutes=1),
        "HTTP 503",
        CREATED + timedelta(minutes=6),
    )
    assert one.full_mobile and not one.allow_private
    assert (two.id, two.host, two.event_types, two.pending, two.failed, two.behind) == (
        second,
        "10.0.0.5:8080",
        (),
        0,
        0,
        0,
    )
    assert two.allow_private and two.last_success_at is None and two.last_error is None


def test_nothing_secret_reaches_the_page():
    s, auditor = console("auditor")
    endpoint = add_endpoint(s, SLACK_LIKE, salt="the-salt-of-the-signing-secret")
    s.webhooks.rows[endpoint] = replace(
        s.webhooks.rows[endpoint],
        last_error=f"ClientResponseError: 400, message='Bad Request', url=URL('{SLACK_LIKE}')",
    )

    [lag] = s.admin.view_webhooks(auditor, CLIENT)

    shown = repr(lag)
    for secret in ("the-salt-of-the-signing-secret", "s3cr3tT0ken", "abc123", "/services/", "whsec_"):
        assert secret not in shown
    assert lag.last_error == "ClientResponseError: 400, message='Bad Request', url=URL('https://hooks.example.com/…')"


def test_reading_is_refused_and_recorded_for_a_role_without_read(monkeypatch):
    s, auditor = console("auditor")
    add_endpoint(s, SLACK_LIKE)
    monkeypatch.setitem(GRANTS, Role.AUDITOR, frozenset({Action.EXPORT}))
    with pytest.raises(errors.Forbidden):
        s.admin.view_webhooks(auditor, CLIENT)
    [refusal] = s.store.events_of(EventType.ADMIN_ACTION_REFUSED)
    assert refusal.detail == {
        "operator_id": auditor.operator_id,
        "operator": "wang",
        "action": "read",
        "reason": "forbidden",
    }


def test_reading_records_nothing_and_changes_nothing():
    s, admin = console()
    add_endpoint(s, SLACK_LIKE)
    before = (len(s.store.events), dict(s.webhooks.rows))
    s.admin.view_webhooks(admin, CLIENT)
    assert (len(s.store.events), dict(s.webhooks.rows)) == before


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://hooks.example.com/a/b?token=x#f", "hooks.example.com"),
        ("https://hooks.example.com:8443/a", "hooks.example.com:8443"),
        ("http://[2001:db8::1]:9000/x?y=z", "[2001:db8::1]:9000"),
        ("https://user:pass@hooks.example.com/x", "hooks.example.com"),
        ("not a url", "-"),
        ("https://[::1/x", "-"),  # not even a URL the parser takes
    ],
)
def test_host_of_keeps_only_the_host_and_port(url, host):
    assert host_of(url) == host


@pytest.mark.parametrize(
    "text, shown",
    [
        ("HTTP 503", "HTTP 503"),
        (
            "connection failed: Cannot connect to host hooks.example.com:443",
            "connection failed: Cannot connect to host hooks.example.com:443",
        ),
        ("InvalidURL: https://h.example.com/p?secret=1", "InvalidURL: https://h.example.com/…"),
        ("to https://h.example.com/ and http://[::1]:8/x", "to https://h.example.com and http://[::1]:8/…"),
        ("https://h.example.com/cb?next=https://other.example.com/x", "https://h.example.com/…"),
        ("URL('https://BOX/')", "URL('https://BOX')"),
    ],
)
def test_urls_in_error_texts_keep_only_their_host(text, shown):
    assert without_paths(text) == shown
