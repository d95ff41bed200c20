"""The relay's storage: the delivery order given after commit, sink positions, webhook deliveries, the lease.

Why a sequence given after commit. audit_events.id is handed out at INSERT, but transactions commit in any
order: a transaction holding id 10 can commit after one holding id 11. A reader that had moved its position
to 11 would skip 10 for good. So the relay gives each committed row a `seq` of its own: under a lock, it takes
the rows it can see with no seq (only committed rows are visible) in id order and numbers them after the
highest seq given so far. A row that commits late is numbered late, never skipped; and positions count in seq,
which only grows. In the common case (no late commit) seq equals id.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    delete,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from adapters.sqlalchemy.tables import audit_events, relay_positions, webhook_deliveries, webhook_endpoints
from domain.outbox import OutboxEvent, TypeFilter, WebhookEndpoint

SEQUENCER = "sequencer"


def event_from_row(row: Any) -> OutboxEvent:  # a Row of audit_events
    return OutboxEvent(
        id=row.id,
        seq=row.seq,
        type=row.type,
        occurred_at=row.occurred_at,
        user_id=row.user_id,
        mobile=row.mobile,
        ip=row.ip,
        user_agent=row.user_agent,
        request_id=row.request_id,
        detail=row.detail or {},
    )


def _like(pattern: str) -> str:
    """A type pattern (only `*` is special) as a LIKE pattern with `\\` as the escape."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def type_condition(column: ColumnElement[str], types: TypeFilter) -> ColumnElement[bool]:
    """The filter as SQL, so a page of the pull API is full even when most rows are excluded."""
    conditions = []
    for wanted in (types.include, types.only):
        if wanted:
            conditions.append(or_(*(column.like(_like(p), escape="\\") for p in wanted)))
    conditions += [not_(column.like(_like(p), escape="\\")) for p in types.exclude]
    return and_(True, *conditions)


def endpoint_from_row(row: Any) -> WebhookEndpoint:  # a Row of webhook_endpoints, or _Prefixed
    return WebhookEndpoint(
        id=row.id,
        url=row.url,
        event_types=tuple(t for t in row.event_types.split(",") if t),
        allow_private=row.allow_private,
        full_mobile=row.full_mobile,
        secret_salt=row.secret_salt,
        position=row.position,
        created_at=row.created_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        after_event_id=row.after_event_id,
    )


def sequencer_position(connection: Connection) -> int:
    position = connection.execute(
        select(relay_positions.c.position).where(relay_positions.c.sink == SEQUENCER)
    ).scalar()
    if position is None:
        position = connection.execute(select(func.coalesce(func.max(audit_events.c.seq), 0))).scalar_one()
    return position


@dataclass(frozen=True)
class Due:
    """A delivery to try now, with what it takes to send it."""

    id: int
    endpoint: WebhookEndpoint
    event: OutboxEvent
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    due: Due
    error: str | None  # None: delivered
    next_attempt_at: datetime | None = None  # for a failure: None means the retry window is over


class SqlOutbox:
    @property
    def unavailable_errors(self) -> tuple[type[Exception], ...]:
        """What a lost database raises: SQLAlchemy's errors, and the driver's own, which SQLAlchemy lets through
        unwrapped from a new connection's set-up (its isolation level, on MariaDB, when the server vanished)."""
        return (SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error)

    def __init__(self, engine: Engine):
        # Read committed on the servers: each statement sees what has committed by then, and the sequencer's
        # UPDATE by primary key takes no gap locks that would stall the web workers' INSERTs on MariaDB.
        self.engine = (
            engine if engine.dialect.name == "sqlite" else engine.execution_options(isolation_level="READ COMMITTED")
        )

    # --- the delivery order -------------------------------------------------------------------------------

    def sequence(self, limit: int) -> int:
        """Number up to `limit` committed, unnumbered events after the highest seq so far; returns how many."""
        with self.engine.begin() as connection:
            lock = select(relay_positions.c.position).where(relay_positions.c.sink == SEQUENCER).with_for_update()
            locked = connection.execute(lock).scalar()
            if locked is None:  # a database emptied by hand: start again after whatever is numbered
                connection.execute(
                    insert(relay_positions).values(sink=SEQUENCER, position=sequencer_position(connection))
                )
                locked = connection.execute(lock).scalar_one()
            ids = (
                connection.execute(
                    select(audit_events.c.id)
                    .where(audit_events.c.seq.is_(None))
                    .order_by(audit_events.c.id)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            if not ids:
                return 0
            # One statement: seq = id + offset keeps the id order within the batch and puts the whole batch
            # after everything numbered before (offset 0 unless a row committed late).
            offset = max(0, locked + 1 - ids[0])
            connection.execute(
                update(audit_events).where(audit_events.c.id.in_(ids)).values(seq=audit_events.c.id + offset)
            )
            connection.execute(
                update(relay_positions).where(relay_positions.c.sink == SEQUENCER).values(position=ids[-1] + offset)
            )
        return len(ids)

    def head(self) -> int:
        with self.engine.connect() as connection:
            return sequencer_position(connection)

    def read(self, after: int, limit: int) -> list[OutboxEvent]:
        query = select(audit_events).where(audit_events.c.seq > after).order_by(audit_events.c.seq).limit(limit)
        with self.engine.connect() as connection:
            return [event_from_row(row) for row in connection.execute(query)]

    # --- sink positions -----------------------------------------------------------------------------------

    def position(self, sink: str) -> int:
        """The sink's position; a sink seen for the first time starts at the newest sequenced event."""
        with self.engine.begin() as connection:
            position = connection.execute(
                select(relay_positions.c.position).where(relay_positions.c.sink == sink)
            ).scalar()
            if position is None:
                position = sequencer_position(connection)
                connection.execute(insert(relay_positions).values(sink=sink, position=position))
            return position

    def advance(self, sink: str, position: int, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(relay_positions)
                .where(relay_positions.c.sink == sink, relay_positions.c.position < position)
                .values(position=position, updated_at=now)
            )

    # --- webhooks -----------------------------------------------------------------------------------------

    def endpoints(self) -> list[WebhookEndpoint]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id))
            return [endpoint_from_row(row) for row in rows]

    def fan_out(self, deliveries: list[dict], positions: dict[int, tuple[int, int]], now: datetime) -> None:
        """Deliveries in, positions moved (from, to), in one transaction: each event is queued once per endpoint.

        A position is moved only from where this relay read it: a concurrent change makes the whole fan-out
        roll back (and it is done again next round) instead of queueing twice.
        """
        with self.engine.begin() as connection:
            for endpoint_id, (before, after) in positions.items():
                moved = connection.execute(
                    update(webhook_endpoints)
                    .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.position == before)
                    .values(position=after)
                ).rowcount
                if moved != 1:
                    raise StaleFanOut(endpoint_id)
            if deliveries:
                connection.execute(
                    insert(webhook_deliveries),
                    [
                        {**d, "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now}
                        for d in deliveries
                    ],
                )

    def due(self, now: datetime, limit: int) -> list[Due]:
        """Pending deliveries due now that no earlier delivery of the same user to the same endpoint is
        waiting in front of (a user's failing event holds back that user's later events, nobody else's)."""
        d, w, a = webhook_deliveries, webhook_endpoints, audit_events
        waiting = webhook_deliveries.alias("waiting")
        held_back = exists().where(
            waiting.c.endpoint_id == d.c.endpoint_id,
            waiting.c.user_id == d.c.user_id,
            waiting.c.status == "pending",
            waiting.c.seq < d.c.seq,
            waiting.c.next_attempt_at > now,
        )
        query = (
            select(
                d.c.id.label("delivery_id"),
                d.c.attempts,
                d.c.created_at.label("delivery_created_at"),
                *[c.label(f"w_{c.name}") for c in w.c],
                *a.c,
            )
            .join(w, w.c.id == d.c.endpoint_id)
            .join(a, a.c.id == d.c.event_id)
            .where(d.c.status == "pending", d.c.next_attempt_at <= now, ~held_back)
            .order_by(d.c.seq, d.c.endpoint_id)
            .limit(limit)
        )
        due = []
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                endpoint = endpoint_from_row(_Prefixed(row, "w_"))
                due.append(Due(row.delivery_id, endpoint, event_from_row(row), row.attempts, row.delivery_created_at))
        return due

    def settle(self, outcomes: Iterable[Outcome], now: datetime) -> None:
        """Delivered rows are deleted; failed tries counted, rescheduled or given up; endpoints' status noted."""
        outcomes = list(outcomes)
        delivered = [o.due.id for o in outcomes if o.error is None]
        failed = [o for o in outcomes if o.error is not None]
        with self.engine.begin() as connection:
            if delivered:
                connection.execute(delete(webhook_deliveries).where(webhook_deliveries.c.id.in_(delivered)))
            for outcome in failed:
                assert outcome.error is not None  # failed: it has its error
                connection.execute(
                    update(webhook_deliveries)
                    .where(webhook_deliveries.c.id == outcome.due.id)
                    .values(
                        attempts=webhook_deliveries.c.attempts + 1,
                        last_error=outcome.error[:512],
                        status="pending" if outcome.next_attempt_at else "failed",
                        next_attempt_at=outcome.next_attempt_at or now,
                    )
                )
            succeeded = {o.due.endpoint.id for o in outcomes if o.error is None}
            if succeeded:
                connection.execute(
                    update(webhook_endpoints).where(webhook_endpoints.c.id.in_(succeeded)).values(last_success_at=now)
                )
            last_errors = {o.due.endpoint.id: o.error for o in outcomes if o.error is not None}
            for endpoint_id, error in last_errors.items():
                connection.execute(
                    update(webhook_endpoints)
                    .where(webhook_endpoints.c.id == endpoint_id)
                    .values(last_error=error[:512], last_error_at=now)
                )


class StaleFanOut(RuntimeError):
    """An endpoint's position moved under this relay (another relay, or the endpoint was removed)."""


class _Prefixed:
    """The `w_`-labelled columns of a joined row, read as a row of their own."""

    def __init__(self, row: Any, prefix: str) -> None:
        self.row, self.prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, self.prefix + name)


# --- one relay at a time ----------------------------------------------------------------------------------


class RelayLease:
    """Held by at most one relay per database; a second relay waits for it.

    PostgreSQL: a session advisory lock; MariaDB/MySQL: GET_LOCK named after the database. Both live on one
    dedicated connection and end with it, so a relay that dies (or loses the database) lets the next one in.
    SQLite: an exclusive flock on a file beside the database, released by the kernel when the process ends.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.connection: Connection | None = None
        self.lock_file: int | None = None
        name = engine.url.database or ""
        self.key = zlib.crc32(f"accounts.relay:{name}".encode())  # PostgreSQL: one lock per database anyway
        self.mysql_name = f"accounts_relay:{name}"[:64]  # MySQL's lock names are server-wide

    def acquire(self) -> bool:
        """True while this relay holds the lease (taking it if it is free)."""
        if self.held():
            return True
        self.release()
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return self._flock()
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if dialect == "postgresql":
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
        else:
            got = connection.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": self.mysql_name}).scalar() == 1
        if got:
            self.connection = connection
        else:
            connection.close()
        return bool(got)

    def held(self) -> bool:
        if self.lock_file is not None:
            return True
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))  # the lock lives exactly as long as this session
            return True
        except SQLAlchemyError:
            self.release()
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()  # closes the session, and with it the lock
            except SQLAlchemyError:
                pass
            self.connection = None
        if self.lock_file is not None:
            os.close(self.lock_file)  # closing the descriptor drops the flock
            self.lock_file = None

    def _flock(self) -> bool:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return True  # an in-memory database has no second relay
        path = Path(database).with_name(Path(database).name + ".relay-lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self.lock_file = descriptor
        return True
