"""API keys and webhook endpoints, on fakes: shown once, stored hashed, revocable, audited; SSRF refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, EventType
from domain.outbox import ApiKey, OutboxEvent, TypeFilter, WebhookEndpoint, webhook_secret
from domain.use_cases.api_keys import ApiKeyUse
from domain.use_cases.webhooks import (
    Target,
    WebhookRegistration,
    parse_target,
)
from tests.builders import CLIENT, WEBHOOK_KEY, make_services
from tests.fakes import FakeCodes
from tests.fakes_integrations import FakeGuard

KEY = WEBHOOK_KEY


@pytest.fixture
def world():
    guard = FakeGuard(
        {
            "hooks.example.com": ["93.184.216.34"],
            "internal.example.com": ["10.0.0.5"],
            "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
            "127.0.0.1": ["127.0.0.1"],
        }
    )
    codes = FakeCodes(texts=["K" * 43, "salt-1", "salt-2"])
    s = make_services(guard=guard, codes=codes)
    return s.store, s.api_keys, s.webhooks, s.integrations, guard, codes, s.clock


def test_an_api_key_is_shown_once_stored_as_a_digest_and_its_creation_audited(world):
    store, keys, _, i, _, codes, clock = world
    new = i.create_api_key(" nginx ", CLIENT)
    assert new.key == "ak_" + "K" * 43 and new.name == "nginx"
    [(stored, digest)] = keys.rows.values()
    assert digest == hashlib.sha256(new.key.encode()).hexdigest() and new.key not in str(keys.rows)
    [event] = store.events
    assert event.type == EventType.API_KEY_CREATED and event.detail == {"key_id": new.id, "name": "nginx"}
    assert i.list_api_keys() == [stored]


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "bad\x00name"])
def test_an_api_key_needs_a_visible_name(world, name):
    *_, i, _, codes, clock = world
    with pytest.raises(errors.InvalidInput):
        i.create_api_key(name, CLIENT)


def test_the_first_use_of_a_key_in_each_minute_is_audited_and_a_refused_key_writes_nothing(world):
    store, keys, _, i, _, codes, clock = world
    new = i.create_api_key("nginx", CLIENT)
    use = i.use_api_key
    with freeze_time(T0) as ticking:
        assert use(ApiKeyUse(new.key, "session", CLIENT)).id == new.id
        ticking.tick(59.999999)
        use(ApiKeyUse(new.key, "events", CLIENT))  # within the minute: admitted, not recorded
        ticking.tick(0.000001)
        use(ApiKeyUse(new.key, "events", CLIENT))
    used = store.events_of(EventType.API_KEY_USED)
    assert [(e.occurred_at, e.user_id, e.detail) for e in used] == [
        (T0, None, {"key_id": new.id, "name": "nginx", "endpoint": "session"}),
        (T0 + timedelta(minutes=1), None, {"key_id": new.id, "name": "nginx", "endpoint": "events"}),
    ]
    assert keys.get(new.id).last_used_at == T0 + timedelta(minutes=1)
    before = len(store.events)
    for wrong in ("ak_" + "X" * 43, "", "Bearer", new.key + "x", "x" * 500):
        with pytest.raises(errors.ApiKeyInvalid):
            use(ApiKeyUse(wrong, "events", CLIENT))
    assert len(store.events) == before


def test_a_revoked_key_stops_working_and_revoking_twice_records_once(world):
    store, _, _, i, _, codes, clock = world
    new = i.create_api_key("billing", CLIENT)
    revoke = i.revoke_api_key
    revoke(new.id, CLIENT)
    revoke(new.id, CLIENT)
    assert len(store.events_of(EventType.API_KEY_REVOKED)) == 1
    with pytest.raises(errors.ApiKeyInvalid):
        i.use_api_key(ApiKeyUse(new.key, "events", CLIENT))
    with pytest.raises(errors.ApiKeyNotFound):
        revoke(999, CLIENT)


def add(world, url, types="", allow_private=False):
    *_, i, guard, codes, clock = world
    return i.add_webhook(WebhookRegistration(url, types, allow_private, CLIENT))


def test_adding_a_webhook_makes_a_secret_from_a_stored_salt_and_audits_it(world):
    store, _, hooks, *_ = world
    added = add(world, "https://hooks.example.com/in", "user.registered, login.*")
    endpoint = hooks.rows[added.id]
    assert endpoint.event_types == ("user.registered", "login.*")
    assert added.secret == webhook_secret(KEY, endpoint.secret_salt) and added.secret not in str(endpoint)
    [event] = store.events
    assert event.type == EventType.WEBHOOK_ADDED and event.detail["host"] == "hooks.example.com"
    assert "secret" not in str(event.detail)


@pytest.mark.parametrize(
    "url", ["https://internal.example.com/in", "https://rebind.example.com/in", "https://127.0.0.1/in"]
)
def test_private_targets_are_refused_unless_allowed(world, url):
    store, _, hooks, *_ = world
    with pytest.raises(errors.WebhookTargetRefused):
        add(world, url)
    assert hooks.rows == {} and store.events == []
    assert add(world, url, allow_private=True).id == 1


def test_plain_http_unknown_hosts_and_bad_types_are_refused(world):
    with pytest.raises(errors.WebhookUrlInvalid):
        add(world, "http://hooks.example.com/in")
    with pytest.raises(errors.WebhookUrlInvalid):
        add(world, "https://nowhere.example.com/in")
    with pytest.raises(errors.EventTypesInvalid):
        add(world, "https://hooks.example.com/in", "user registered")


def test_removing_and_replaying_are_audited_and_unknown_ids_refused(world):
    store, _, hooks, i, _, _, clock = world
    added = add(world, "https://hooks.example.com/in")
    hooks.failed[added.id] = 3
    assert i.replay_webhooks(None, CLIENT) == 3
    assert i.replay_webhooks(added.id, CLIENT) == 0  # nothing failed: nothing recorded
    i.remove_webhook(added.id, CLIENT)
    types = [e.type for e in store.events]
    assert types == [EventType.WEBHOOK_ADDED, EventType.WEBHOOK_REPLAYED, EventType.WEBHOOK_REMOVED]
    with pytest.raises(errors.WebhookNotFound):
        i.remove_webhook(added.id, CLIENT)
    with pytest.raises(errors.WebhookNotFound):
        i.replay_webhooks(added.id, CLIENT)


# --- every field stored and recorded; the limits at their edges ---------------------------------------------

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LETTERS_AND_DIGITS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def test_an_api_key_is_43_random_letters_or_digits_and_its_creation_recorded_in_full(world):
    store, keys, _, i, _, codes, clock = world
    with freeze_time(T0):
        new = i.create_api_key("nginx", CLIENT)
    assert codes.calls == [("text", LETTERS_AND_DIGITS, 43)]
    assert keys.get(new.id) == ApiKey(new.id, "nginx", T0)
    assert store.events == [
        AuditEvent(EventType.API_KEY_CREATED, T0, CLIENT, None, None, {"key_id": new.id, "name": "nginx"})
    ]


@pytest.mark.parametrize("name", ["x", "x" * 64])
def test_an_api_key_name_of_one_to_64_characters_is_taken(world, name):
    *_, i, _, codes, clock = world
    assert i.create_api_key(name, CLIENT).name == name


def test_a_refused_api_key_name_says_where_and_how_long_it_may_be(world):
    *_, i, _, codes, clock = world
    with pytest.raises(errors.InvalidInput) as refused:
        i.create_api_key("x" * 65, CLIENT)
    assert (refused.value.key, refused.value.field, refused.value.facts) == (
        "invalid_input.api_key_name",
        "name",
        {"max": 64},
    )


def test_revoking_and_using_a_key_are_recorded_in_full(world):
    store, _, _, i, _, codes, clock = world
    new = i.create_api_key("billing", CLIENT)
    with freeze_time(T0):
        i.use_api_key(ApiKeyUse(new.key, "events", CLIENT))
        i.revoke_api_key(new.id, CLIENT)
    assert store.events[1:] == [
        AuditEvent(
            EventType.API_KEY_USED, T0, CLIENT, None, None, {"key_id": new.id, "name": "billing", "endpoint": "events"}
        ),
        AuditEvent(EventType.API_KEY_REVOKED, T0, CLIENT, None, None, {"key_id": new.id, "name": "billing"}),
    ]


@pytest.mark.parametrize(
    "presented, looked_up",
    [
        ("ak_" + "x" * 125, True),
        ("ak_" + "x" * 126, False),
        ("bk_" + "x" * 40, False),
    ],
)
def test_only_keys_that_could_be_one_are_looked_up(world, presented, looked_up):
    """Malformed or oversized keys are refused without a query."""
    _, keys, _, i, _, _, clock = world
    lookups = []
    find_active = keys.find_active
    keys.find_active = lambda digest: lookups.append(digest) or find_active(digest)
    with pytest.raises(errors.ApiKeyInvalid):
        i.use_api_key(ApiKeyUse(presented, "events", CLIENT))
    assert bool(lookups) is looked_up


class RecordingGuard(FakeGuard):
    def __init__(self, addresses):
        super().__init__(addresses)
        self.checked = []

    def check(self, host, port, allow_private):
        self.checked.append((host, port, allow_private))
        super().check(host, port, allow_private)


def test_adding_a_webhook_stores_and_records_every_choice(world):
    store, _, hooks, _, _, codes, _ = world
    codes.text_queue.clear()
    guard = RecordingGuard({"internal.example.com": ["10.0.0.5"]})
    i = make_services(store=store, webhooks=hooks, codes=codes, guard=guard).integrations
    with freeze_time(T0):
        added = i.add_webhook(
            WebhookRegistration("http://internal.example.com:8080/in", "login.*", True, CLIENT, full_mobile=True)
        )
    assert guard.checked == [("internal.example.com", 8080, True)]
    assert codes.calls == [("text", LETTERS_AND_DIGITS, 32)]
    assert hooks.rows[added.id] == WebhookEndpoint(
        added.id, "http://internal.example.com:8080/in", ("login.*",), True, True, "ABCD", 0, T0
    )
    assert store.events == [
        AuditEvent(
            EventType.WEBHOOK_ADDED,
            T0,
            CLIENT,
            None,
            None,
            {
                "endpoint_id": added.id,
                "host": "internal.example.com",
                "types": ["login.*"],
                "allow_private": True,
                "full_mobile": True,
                "from_beginning": False,
            },
        )
    ]
    assert hooks.from_beginning == set()


def test_an_endpoint_added_from_the_beginning_is_stored_and_recorded_so(world):
    store, _, hooks, i, _, _, _ = world
    added = i.add_webhook(WebhookRegistration("https://hooks.example.com/in", "", False, CLIENT, from_beginning=True))
    assert hooks.from_beginning == {added.id}
    assert store.events[-1].detail["from_beginning"] is True


def test_an_endpoint_receives_neither_what_it_was_given_nor_what_was_committed_before_it():
    endpoint = WebhookEndpoint(1, "https://h.example.com/", (), False, False, "s", 10, T0, after_event_id=20)
    assert not endpoint.receives(21, 10)  # fanned out already
    assert not endpoint.receives(20, 11)  # committed before the endpoint, sequenced late
    assert endpoint.receives(21, 11)
    assert WebhookEndpoint(1, "https://h.example.com/", (), False, False, "s", 0, T0).receives(1, 1)


def test_removing_and_replaying_are_recorded_in_full(world):
    store, _, hooks, i, _, _, clock = world
    first, second = add(world, "https://hooks.example.com/a"), add(world, "https://hooks.example.com/b")
    hooks.failed.update({first.id: 2, second.id: 5})
    replayed = []
    replay_failed = hooks.replay_failed
    hooks.replay_failed = lambda endpoint_id, now: (
        replayed.append((endpoint_id, now)) or replay_failed(endpoint_id, now)
    )
    with freeze_time(T0):
        assert i.replay_webhooks(second.id, CLIENT) == 5
        assert i.replay_webhooks(None, CLIENT) == 2
        i.remove_webhook(first.id, CLIENT)
    assert replayed == [(second.id, T0), (None, T0)]
    assert store.events[2:] == [
        AuditEvent(EventType.WEBHOOK_REPLAYED, T0, CLIENT, None, None, {"endpoint_id": second.id, "deliveries": 5}),
        AuditEvent(EventType.WEBHOOK_REPLAYED, T0, CLIENT, None, None, {"endpoint_id": None, "deliveries": 2}),
        AuditEvent(
            EventType.WEBHOOK_REMOVED, T0, CLIENT, None, None, {"endpoint_id": first.id, "host": "hooks.example.com"}
        ),
    ]


def test_the_status_of_each_endpoint(world):
    _, _, hooks, i, *_ = world
    added = add(world, "https://hooks.example.com/in")
    hooks.failed[added.id] = 2
    [status] = i.webhook_statuses()
    assert (status.endpoint.id, status.failed) == (added.id, 2)


def test_a_webhook_url_up_to_2048_characters_is_taken():
    url = "https://hooks.example.com/" + "a" * (2048 - len("https://hooks.example.com/"))
    assert parse_target(url, False) == Target(url, "hooks.example.com", 443)
    with pytest.raises(errors.WebhookUrlInvalid):
        parse_target(url + "a", False)


def test_a_plain_http_target_defaults_to_port_80():
    assert parse_target(" http://10.0.0.5/in ", True) == Target("http://10.0.0.5/in", "10.0.0.5", 80)


@pytest.mark.parametrize("url", ["https://user@hooks.example.com/", "https://:pw@hooks.example.com/"])
def test_a_webhook_url_carries_no_user_name_or_password(url):
    with pytest.raises(errors.WebhookUrlInvalid):
        parse_target(url, False)


class RecordingFeed:
    def __init__(self, events):
        self.events, self.asked = events, []

    def after(self, position, limit, types):
        self.asked.append((position, limit, types))
        return self.events


def feed_reader(feed, exported=""):
    """The pull API's use case on `feed`, exporting the types RELAY_EVENT_TYPES names (nothing excluded)."""
    settings = {"RELAY_EVENT_TYPES": exported, "RELAY_EXCLUDED_EVENT_TYPES": ""}
    return make_services(feed=feed, settings=settings).integrations.read_event_feed


def test_the_feed_answers_the_events_and_the_position_to_ask_from_next():
    types = TypeFilter.parse("login.*", "")
    events = [
        OutboxEvent(id=9, seq=3, type="login.failed", occurred_at=T0),
        OutboxEvent(id=8, seq=4, type="login.failed", occurred_at=T0),
        OutboxEvent(id=12, seq=6, type="login.failed", occurred_at=T0),
    ]
    feed = RecordingFeed(events)
    assert feed_reader(feed, "login.*")(0, 1000) == (events, 6)
    assert feed_reader(RecordingFeed([]), "login.*")(7, 1) == ([], 7)  # nothing new: ask from the same place
    assert feed.asked == [(0, 1000, types)]


@pytest.mark.parametrize(
    "after, limit, key, field, facts",
    [
        (-1, 10, "invalid_input.after_negative", "after", {}),
        (0, 0, "invalid_input.limit_out_of_range", "limit", {"max": 1000}),
        (0, 1001, "invalid_input.limit_out_of_range", "limit", {"max": 1000}),
    ],
)
def test_the_feed_refuses_a_position_or_page_size_out_of_range(after, limit, key, field, facts):
    with pytest.raises(errors.InvalidInput) as refused:
        feed_reader(RecordingFeed([]))(after, limit)
    assert (refused.value.key, refused.value.field, refused.value.facts) == (key, field, facts)
