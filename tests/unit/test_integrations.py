"""API keys and webhook endpoints, on fakes: shown once, stored hashed, revocable, audited; SSRF refused."""

from __future__ import annotations

import hashlib

import pytest

from domain import errors
from domain.events import EventType
from domain.outbox import webhook_secret
from domain.use_cases.api_keys import ApiKeyUse, CreateApiKey, ListApiKeys, RevokeApiKey, UseApiKey
from domain.use_cases.webhooks import AddWebhook, RemoveWebhook, ReplayWebhooks, WebhookRegistration
from tests.fakes import CLIENT, FakeCodes, FakeStore, UtcClock
from tests.fakes_integrations import FakeApiKeys, FakeGuard, FakeIntegrationsUnitOfWork, FakeWebhookEndpoints

KEY = b"webhook-signing-key"


@pytest.fixture
def world():
    store, keys, hooks = FakeStore(), FakeApiKeys(), FakeWebhookEndpoints()
    uow = lambda: FakeIntegrationsUnitOfWork(store, keys, hooks)  # noqa: E731
    guard = FakeGuard({"hooks.example.com": ["93.184.216.34"], "internal.example.com": ["10.0.0.5"],
                       "rebind.example.com": ["93.184.216.34", "127.0.0.1"], "127.0.0.1": ["127.0.0.1"]})
    codes = FakeCodes(texts=["K" * 43, "salt-1", "salt-2"])
    clock = UtcClock()
    return store, keys, hooks, uow, guard, codes, clock


def test_an_api_key_is_shown_once_stored_as_a_digest_and_its_creation_audited(world):
    store, keys, _, uow, _, codes, clock = world
    new = CreateApiKey(uow, clock, codes)(" nginx ", CLIENT)
    assert new.key == "ak_" + "K" * 43 and new.name == "nginx"
    [(stored, digest)] = keys.rows.values()
    assert digest == hashlib.sha256(new.key.encode()).hexdigest() and new.key not in str(keys.rows)
    [event] = store.events
    assert event.type == EventType.API_KEY_CREATED and event.detail == {"key_id": new.id, "name": "nginx"}
    assert ListApiKeys(uow)() == [stored]


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "bad\x00name"])
def test_an_api_key_needs_a_visible_name(world, name):
    *_, uow, _, codes, clock = world
    with pytest.raises(errors.InvalidInput):
        CreateApiKey(uow, clock, codes)(name, CLIENT)


def test_each_use_of_a_key_is_audited_and_a_refused_key_writes_nothing(world):
    store, _, _, uow, _, codes, clock = world
    new = CreateApiKey(uow, clock, codes)("nginx", CLIENT)
    use = UseApiKey(uow, clock)
    assert use(ApiKeyUse(new.key, "session", CLIENT, user_id=5)).id == new.id
    used = store.events_of(EventType.API_KEY_USED)
    assert [(e.user_id, e.detail) for e in used] == [(5, {"key_id": new.id, "name": "nginx", "endpoint": "session"})]
    before = len(store.events)
    for wrong in ("ak_" + "X" * 43, "", "Bearer", new.key + "x", "x" * 500):
        with pytest.raises(errors.ApiKeyInvalid):
            use(ApiKeyUse(wrong, "events", CLIENT))
    assert len(store.events) == before


def test_a_revoked_key_stops_working_and_revoking_twice_records_once(world):
    store, _, _, uow, _, codes, clock = world
    new = CreateApiKey(uow, clock, codes)("billing", CLIENT)
    revoke = RevokeApiKey(uow, clock)
    revoke(new.id, CLIENT)
    revoke(new.id, CLIENT)
    assert len(store.events_of(EventType.API_KEY_REVOKED)) == 1
    with pytest.raises(errors.ApiKeyInvalid):
        UseApiKey(uow, clock)(ApiKeyUse(new.key, "events", CLIENT))
    with pytest.raises(errors.ApiKeyNotFound):
        revoke(999, CLIENT)


def add(world, url, types="", allow_private=False):
    *_, uow, guard, codes, clock = world
    return AddWebhook(uow, guard, clock, codes, KEY)(WebhookRegistration(url, types, allow_private, CLIENT))


def test_adding_a_webhook_makes_a_secret_from_a_stored_salt_and_audits_it(world):
    store, _, hooks, *_ = world
    added = add(world, "https://hooks.example.com/in", "user.registered, login.*")
    endpoint = hooks.rows[added.id]
    assert endpoint.event_types == ("user.registered", "login.*")
    assert added.secret == webhook_secret(KEY, endpoint.secret_salt) and added.secret not in str(endpoint)
    [event] = store.events
    assert event.type == EventType.WEBHOOK_ADDED and event.detail["host"] == "hooks.example.com"
    assert "secret" not in str(event.detail)


@pytest.mark.parametrize("url", ["https://internal.example.com/in", "https://rebind.example.com/in",
                                 "https://127.0.0.1/in"])
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
    store, _, hooks, uow, _, _, clock = world
    added = add(world, "https://hooks.example.com/in")
    hooks.failed[added.id] = 3
    assert ReplayWebhooks(uow, clock)(None, CLIENT) == 3
    assert ReplayWebhooks(uow, clock)(added.id, CLIENT) == 0  # nothing failed: nothing recorded
    RemoveWebhook(uow, clock)(added.id, CLIENT)
    types = [e.type for e in store.events]
    assert types == [EventType.WEBHOOK_ADDED, EventType.WEBHOOK_REPLAYED, EventType.WEBHOOK_REMOVED]
    with pytest.raises(errors.WebhookNotFound):
        RemoveWebhook(uow, clock)(added.id, CLIENT)
    with pytest.raises(errors.WebhookNotFound):
        ReplayWebhooks(uow, clock)(added.id, CLIENT)
