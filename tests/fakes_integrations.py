"""Fakes for the operator's repositories (API keys, webhook endpoints), the DNS guard and the event feed, on top of
tests/fakes.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain import errors
from domain.outbox import ApiKey, OutboxEvent, TypeFilter, WebhookEndpoint, WebhookStatus, is_public_address
from tests.fakes import FakeStore, FakeUnitOfWork


class FakeApiKeys:
    def __init__(self) -> None:
        self.rows: dict[int, tuple[ApiKey, str]] = {}  # id -> (key, digest)

    def add(self, name: str, key_digest: str, created_at: datetime) -> int:
        key_id = len(self.rows) + 1
        self.rows[key_id] = (ApiKey(key_id, name, created_at), key_digest)
        return key_id

    def get(self, key_id: int) -> ApiKey | None:
        return self.rows[key_id][0] if key_id in self.rows else None

    def find_active(self, key_digest: str) -> ApiKey | None:
        return next((k for k, d in self.rows.values() if d == key_digest and k.revoked_at is None), None)

    def revoke(self, key_id: int, when: datetime) -> None:
        key, key_digest = self.rows[key_id]
        self.rows[key_id] = (replace(key, revoked_at=when), key_digest)

    def all(self) -> list[ApiKey]:
        return [k for k, _ in self.rows.values()]

    def mark_used(self, key_id: int, now: datetime, unless_since: datetime) -> bool:
        key, key_digest = self.rows[key_id]
        if key.last_used_at is not None and key.last_used_at > unless_since:
            return False
        self.rows[key_id] = (replace(key, last_used_at=now), key_digest)
        return True


class FakeWebhookEndpoints:
    def __init__(self) -> None:
        self.rows: dict[int, WebhookEndpoint] = {}
        self.failed: dict[int, int] = {}  # endpoint id -> failed deliveries
        self.lag: dict[int, tuple[int, int, datetime | None]] = {}  # endpoint id -> (pending, behind, oldest pending)
        self.from_beginning: set[int] = set()  # endpoints added to receive every event in the log

    def add(self, url, event_types, allow_private, full_mobile, secret_salt, created_at, from_beginning=False) -> int:
        endpoint_id = len(self.rows) + 1
        self.rows[endpoint_id] = WebhookEndpoint(
            endpoint_id, url, event_types, allow_private, full_mobile, secret_salt, 0, created_at
        )
        if from_beginning:
            self.from_beginning.add(endpoint_id)
        return endpoint_id

    def get(self, endpoint_id: int) -> WebhookEndpoint | None:
        return self.rows.get(endpoint_id)

    def remove(self, endpoint_id: int) -> None:
        del self.rows[endpoint_id]

    def replay_failed(self, endpoint_id: int | None, now: datetime) -> int:
        chosen = [endpoint_id] if endpoint_id is not None else list(self.failed)
        return sum(self.failed.pop(e, 0) for e in chosen)

    def statuses(self) -> list[WebhookStatus]:
        statuses = []
        for e in self.rows.values():
            pending, behind, oldest = self.lag.get(e.id, (0, 0, None))
            statuses.append(WebhookStatus(e, pending, self.failed.get(e.id, 0), behind, oldest))
        return statuses


class FakeIntegrationsUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: FakeStore, api_keys: FakeApiKeys, webhooks: FakeWebhookEndpoints) -> None:
        super().__init__(store)
        self.api_keys, self.webhooks = api_keys, webhooks


class FakeGuard:
    """Resolves from a table instead of DNS; unknown names do not resolve."""

    def __init__(self, addresses: dict[str, list[str]]) -> None:
        self.addresses = addresses

    def check(self, host: str, port: int, allow_private: bool) -> None:
        if host not in self.addresses:
            raise errors.WebhookUrlInvalid()
        if not allow_private and not all(is_public_address(a) for a in self.addresses[host]):
            raise errors.WebhookTargetRefused()


class FakeEventFeed:
    """The sequenced events of the pull API, from a list the test fills; remembers what it was asked."""

    def __init__(self, events=()) -> None:
        self.events: list[OutboxEvent] = list(events)
        self.asked: list[tuple[int, int, TypeFilter]] = []

    def after(self, position: int, limit: int, types: TypeFilter) -> list[OutboxEvent]:
        self.asked.append((position, limit, types))
        return [e for e in self.events if e.seq > position and types(e.type)][:limit]
