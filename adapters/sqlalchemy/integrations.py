"""Repositories for what operators manage around the event log (API keys, webhook endpoints), the unit of work
that adds them to the usual one, and the pull API's reader."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from adapters.sqlalchemy.outbox import endpoint_from_row, event_from_row, sequencer_position, type_condition
from adapters.sqlalchemy.repositories import cursor_result, inserted_id
from adapters.sqlalchemy.tables import api_keys, audit_events, webhook_deliveries, webhook_endpoints
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from domain import ports
from domain.outbox import ApiKey, OutboxEvent, TypeFilter, WebhookEndpoint, WebhookStatus


def _key(row: Any) -> ApiKey:  # a Row of api_keys
    return ApiKey(row.id, row.name, row.created_at, row.revoked_at, row.last_used_at)


class SqlApiKeys:
    def __init__(self, session: Session):
        self.session = session

    def add(self, name: str, key_digest: str, created_at: datetime) -> int:
        result = self.session.execute(insert(api_keys).values(name=name, key_digest=key_digest, created_at=created_at))
        return inserted_id(result)

    def get(self, key_id: int) -> ApiKey | None:
        row = self.session.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return _key(row) if row else None

    def find_active(self, key_digest: str) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.key_digest == key_digest, api_keys.c.revoked_at.is_(None))
        row = self.session.execute(query).first()
        return _key(row) if row else None

    def revoke(self, key_id: int, when: datetime) -> None:
        self.session.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=when))

    def all(self) -> list[ApiKey]:
        return [_key(row) for row in self.session.execute(select(api_keys).order_by(api_keys.c.id))]

    def mark_used(self, key_id: int, now: datetime, unless_since: datetime) -> bool:
        recent = api_keys.c.last_used_at.is_not(None) & (api_keys.c.last_used_at > unless_since)
        result = self.session.execute(update(api_keys).where(api_keys.c.id == key_id, ~recent).values(last_used_at=now))
        return cursor_result(result).rowcount == 1


class SqlWebhookEndpoints:
    def __init__(self, session: Session):
        self.session = session

    def add(
        self,
        url: str,
        event_types: tuple[str, ...],
        allow_private: bool,
        full_mobile: bool,
        secret_salt: str,
        created_at: datetime,
        from_beginning: bool = False,
    ) -> int:
        # The sequencer's position alone let in events committed before now but not yet sequenced: the relay
        # numbers them later, past the position. So the endpoint also remembers the highest id committed before
        # it, which this transaction sees (its snapshot, or on read committed the statement's). A row with a lower
        # id still in flight commits after this read, concurrently with the add, and is left out too; a row
        # committed before it always has an id at most this one. No lock: the web workers' inserts never wait.
        position, after = 0, 0
        if not from_beginning:
            position = sequencer_position(self.session.connection())
            after = self.session.execute(select(func.coalesce(func.max(audit_events.c.id), 0))).scalar_one()
        result = self.session.execute(
            insert(webhook_endpoints).values(
                url=url,
                event_types=",".join(event_types),
                allow_private=allow_private,
                full_mobile=full_mobile,
                secret_salt=secret_salt,
                position=position,
                after_event_id=after,
                created_at=created_at,
            )
        )
        return inserted_id(result)

    def get(self, endpoint_id: int) -> WebhookEndpoint | None:
        row = self.session.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)).first()
        return endpoint_from_row(row) if row else None

    def remove(self, endpoint_id: int) -> None:
        # Deliveries first: SQLite enforces the cascade only with foreign keys on, and says nothing otherwise.
        self.session.execute(delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id))
        self.session.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))

    def replay_failed(self, endpoint_id: int | None, now: datetime) -> int:
        query = update(webhook_deliveries).where(webhook_deliveries.c.status == "failed")
        if endpoint_id is not None:
            query = query.where(webhook_deliveries.c.endpoint_id == endpoint_id)
        return cursor_result(
            self.session.execute(query.values(status="pending", attempts=0, created_at=now, next_attempt_at=now))
        ).rowcount

    def statuses(self) -> list[WebhookStatus]:
        d = webhook_deliveries
        counts = {
            (row.endpoint_id, row.status): (row.n, row.oldest)
            for row in self.session.execute(
                select(
                    d.c.endpoint_id, d.c.status, func.count().label("n"), func.min(d.c.created_at).label("oldest")
                ).group_by(d.c.endpoint_id, d.c.status)
            )
        }
        head = sequencer_position(self.session.connection())
        statuses = []
        for row in self.session.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id)):
            endpoint = endpoint_from_row(row)
            pending, oldest = counts.get((endpoint.id, "pending"), (0, None))
            failed, _ = counts.get((endpoint.id, "failed"), (0, None))
            behind = self.session.execute(
                select(func.count()).where(audit_events.c.seq > endpoint.position, audit_events.c.seq <= head)
            ).scalar_one()
            statuses.append(WebhookStatus(endpoint, pending, failed, behind, oldest))
        return statuses


class SqlIntegrationsUnitOfWork(SqlUnitOfWork):
    """The usual unit of work, with the operator's repositories too."""

    def __enter__(self) -> Self:
        super().__enter__()
        self.api_keys = SqlApiKeys(self.session)
        self.webhooks = SqlWebhookEndpoints(self.session)
        return self


class SqlEventFeed:
    def __init__(self, engine: Engine):
        self.engine = engine

    def after(self, position: int, limit: int, types: TypeFilter) -> list[OutboxEvent]:
        query = (
            select(audit_events)
            .where(audit_events.c.seq > position, type_condition(audit_events.c.type, types))
            .order_by(audit_events.c.seq)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [event_from_row(row) for row in connection.execute(query)]


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _api_keys: type[ports.ApiKeys] = SqlApiKeys
    _webhook_endpoints: type[ports.WebhookEndpoints] = SqlWebhookEndpoints
    _integrations_unit_of_work: type[ports.IntegrationsUnitOfWork] = SqlIntegrationsUnitOfWork
    _event_feed: type[ports.EventFeed] = SqlEventFeed
