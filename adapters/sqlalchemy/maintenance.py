"""Operator jobs on the tables: retention purge and reading the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, Table, delete, select

from adapters.sqlalchemy.tables import audit_events, captcha_challenges, sms_challenges, sms_quotas, user_sessions


def _purge(engine: Engine, table: Table, condition: ColumnElement[bool], batch_size: int) -> int:
    """Delete matching rows in short transactions, so the job never holds locks for long. Idempotent."""
    [key] = table.primary_key.columns
    removed = 0
    while True:
        with engine.begin() as connection:
            ids = connection.execute(select(key).where(condition).limit(batch_size)).scalars().all()
            if not ids:
                return removed
            removed += connection.execute(delete(table).where(key.in_(ids))).rowcount


def purge_expired(
    engine: Engine,
    now: datetime,
    *,
    audit_retention: timedelta,
    sms_cap_window: timedelta,
    session_retention: timedelta,
    batch_size: int = 1000,
) -> dict[str, int]:
    sessions = user_sessions.c
    return {
        "captcha_challenges": _purge(engine, captcha_challenges, captcha_challenges.c.expires_at < now, batch_size),
        # SMS rows are kept while they still count towards the daily caps.
        "sms_challenges": _purge(
            engine,
            sms_challenges,
            (sms_challenges.c.expires_at < now) & (sms_challenges.c.created_at < now - sms_cap_window),
            batch_size,
        ),
        # Ended or expired sessions are kept a while for the owner and for investigations; a purged one stays
        # refused, since a cookie whose record is gone names no session.
        "user_sessions": _purge(
            engine,
            user_sessions,
            (sessions.ended_at < now - session_retention) | (sessions.expires_at < now - session_retention),
            batch_size,
        ),
        "audit_events": _purge(engine, audit_events, audit_events.c.occurred_at < now - audit_retention, batch_size),
        # A quota row untouched for a whole window guards no count any more; the next send recreates it.
        "sms_quotas": _purge(engine, sms_quotas, sms_quotas.c.touched_at < now - sms_cap_window, batch_size),
    }


def read_events(
    engine: Engine,
    *,
    mobile: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    message_id: str | None = None,
) -> Iterator[dict]:
    c = audit_events.c
    query = select(audit_events).order_by(c.occurred_at.desc(), c.id.desc()).limit(limit)
    if mobile:
        query = query.where(c.mobile == mobile)
    if event_type:
        query = query.where(c.type == event_type)
    if since:
        query = query.where(c.occurred_at >= since)
    if until:
        query = query.where(c.occurred_at < until)
    if message_id:  # an SMS's story: sent, then delivered or not (the provider's BizId / SerialNo)
        query = query.where(c.detail["message_id"].as_string() == message_id)
    with engine.connect() as connection:
        for row in connection.execute(query).mappings():
            yield dict(row)
