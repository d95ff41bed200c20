"""Operators, their sessions, and the console's reads (domain/ports.py: Operators, OperatorSessions, Console)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.sqlalchemy.repositories import event_from_row
from adapters.sqlalchemy.tables import audit_events, event_day_counts, operator_sessions, operators, users
from domain import errors, ports
from domain.console import SMS_RECEIPTS, EventFilter, UserQuery
from domain.events import AuditEvent, EventType
from domain.model import User
from domain.operators import Operator, OperatorSession


class SqlOperators:
    def __init__(self, session: Session):
        self.session = session

    def get(self, operator_id: int) -> Operator | None:
        return self.session.get(Operator, operator_id)

    def get_for_update(self, operator_id: int) -> Operator | None:
        return self.session.get(Operator, operator_id, with_for_update=True, populate_existing=True)

    def _one_for_update(self, condition: ColumnElement[bool]) -> Operator | None:
        query = select(Operator).where(condition).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def get_by_username_for_update(self, username: str) -> Operator | None:
        return self._one_for_update(operators.c.username == username)

    def get_by_setup_digest_for_update(self, setup_digest: str) -> Operator | None:
        return self._one_for_update(operators.c.setup_digest == setup_digest)

    def list(self) -> list[Operator]:
        return list(self.session.scalars(select(Operator).order_by(operators.c.id)))

    def add(self, operator: Operator) -> None:
        self.session.add(operator)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise errors.Conflict() from exc


class SqlOperatorSessions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, session: OperatorSession) -> None:
        self.session.add(session)

    def get(self, session_digest: str) -> OperatorSession | None:
        return self.session.get(OperatorSession, session_digest)

    def end_all(self, operator_id: int, now: datetime) -> None:
        self.session.execute(
            update(OperatorSession)
            .where(operator_sessions.c.operator_id == operator_id, operator_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )


def _prefix(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """Starts with `prefix`: a range any B-tree index serves (in code point order, as the C collation, utf8mb4_bin
    and SQLite sort), and LIKE to stay exact under any other collation."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = column.like(escaped + "%", escape="\\")
    following = ord(prefix[-1]) + 1
    if following > 0x10FFFF:
        return and_(column >= prefix, like)
    following = 0xE000 if 0xD800 <= following <= 0xDFFF else following  # no text holds a lone surrogate
    return and_(column >= prefix, column < prefix[:-1] + chr(following), like)


def _method() -> ColumnElement[str | None]:
    """detail.method of sign-ins (password or sms); other events are not split."""
    c = audit_events.c
    return case((c.type == EventType.LOGIN_SUCCEEDED.value, c.detail["method"].as_string()), else_=None)


class SqlConsole:
    def __init__(self, session: Session):
        self.session = session

    def search_users(self, query: UserQuery, offset: int, limit: int) -> list[User]:
        if query.empty:
            return list(self.session.scalars(select(User).order_by(users.c.id.desc()).offset(offset).limit(limit)))
        # One query per meaning of the search text, each walking its own index in its own order (an OR of
        # them, sorted by id, made PostgreSQL scan the primary key: 0.4-0.8 s with 1M users); then the id
        # match, the mobiles in order, the nicknames in order.
        wanted, found = offset + limit, list[User]()
        if query.user_id is not None:
            found += self.session.scalars(select(User).where(users.c.id == query.user_id))
        if query.mobile is not None:
            found += self.session.scalars(select(User).where(users.c.mobile == query.mobile))
        if query.mobile_prefix is not None:
            found += self.session.scalars(
                select(User).where(_prefix(users.c.mobile, query.mobile_prefix)).order_by(users.c.mobile).limit(wanted)
            )
        if query.nickname_prefix is not None:
            found += self.session.scalars(
                select(User)
                .where(_prefix(users.c.nickname, query.nickname_prefix))
                .order_by(users.c.nickname, users.c.id)
                .limit(wanted)
            )
        return list(dict.fromkeys(found))[offset : offset + limit]  # one object per row (the identity map)

    def events(self, where: EventFilter, offset: int, limit: int) -> list[AuditEvent]:
        c = audit_events.c
        statement = select(audit_events).order_by(c.occurred_at.desc(), c.id.desc()).offset(offset).limit(limit)
        if where.types:
            statement = statement.where(c.type.in_(where.types))
        for column, value in ((c.mobile, where.mobile), (c.user_id, where.user_id), (c.ip, where.ip)):
            if value is not None:
                statement = statement.where(column == value)
        if where.since is not None:
            statement = statement.where(c.occurred_at >= where.since)
        if where.until is not None:
            statement = statement.where(c.occurred_at < where.until)
        return [event_from_row(row) for row in self.session.execute(statement)]

    def count_by_day(
        self, boundaries: list[datetime], types: tuple[str, ...]
    ) -> dict[tuple[int, str, str | None], int]:
        c = audit_events.c
        # The day as a CASE over the boundaries: the same SQL on every database, no date arithmetic dialects.
        day = case(*[(c.occurred_at < end, index) for index, end in enumerate(boundaries[1:])], else_=-1)
        method = _method()
        statement = (
            select(day.label("day"), c.type, method.label("method"), func.count().label("n"))
            .where(c.type.in_(types), c.occurred_at >= boundaries[0], c.occurred_at < boundaries[-1])
            .group_by(day, c.type, method)
        )
        return {(row.day, row.type, row.method): row.n for row in self.session.execute(statement) if row.day >= 0}

    def stored_day_counts(self, first: date, last: date) -> dict[tuple[date, str], int]:
        c = event_day_counts.c
        statement = select(c.day, c.metric, c.count).where(c.day >= first, c.day <= last)
        return {(day, metric): count for day, metric, count in self.session.execute(statement)}

    def store_day_counts(self, counts: dict[tuple[date, str], int]) -> None:
        rows = [{"day": day, "metric": metric, "count": count} for (day, metric), count in counts.items()]
        if rows:
            try:
                self.session.execute(insert(event_day_counts), rows)
            except IntegrityError as exc:  # another view stored these days first
                raise errors.Conflict() from exc

    def delivery_receipts(self, message_ids: list[str], since: datetime) -> dict[str, AuditEvent]:
        c = audit_events.c
        message_id = c.detail["message_id"].as_string()
        statement = (
            select(audit_events)
            .where(c.type.in_(SMS_RECEIPTS), c.occurred_at >= since, message_id.in_(message_ids))
            .order_by(c.occurred_at, c.id)
        )
        return {row.detail["message_id"]: event_from_row(row) for row in self.session.execute(statement)}  # newest wins

    def refusal_reasons(self, event_type: str, since: datetime) -> list[tuple[str, int]]:
        c = audit_events.c
        reason = c.detail["reason"].as_string()
        statement = (
            select(reason.label("reason"), func.count().label("n"))
            .where(c.type == event_type, c.occurred_at >= since)
            .group_by(reason)
            .order_by(func.count().desc())
        )
        return [(row.reason or "unknown", row.n) for row in self.session.execute(statement)]


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _operators: type[ports.Operators] = SqlOperators
    _operator_sessions: type[ports.OperatorSessions] = SqlOperatorSessions
    _console: type[ports.Console] = SqlConsole
