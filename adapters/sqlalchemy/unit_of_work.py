from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.console import SqlConsole, SqlOperators, SqlOperatorSessions
from adapters.sqlalchemy.repositories import (
    SqlAuditLog,
    SqlCaptchaChallenges,
    SqlConsents,
    SqlSessions,
    SqlSmsChallenges,
    SqlUsers,
    append_events,
)
from domain import errors, ports
from domain.events import AuditEvent


class SqlUnitOfWork:
    """One session, one transaction. The events recorded are inserted in that transaction, so the
    log holds an event exactly when the change it describes was committed."""

    def __init__(self, session_factory: sessionmaker[Session], after_commit: Callable[[AuditEvent], None]):
        self.session_factory = session_factory
        self.after_commit = after_commit

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self.users = SqlUsers(self.session)
        self.sms = SqlSmsChallenges(self.session)
        self.captchas = SqlCaptchaChallenges(self.session)
        self.audit = SqlAuditLog(self.session)
        self.sessions = SqlSessions(self.session)
        self.consents = SqlConsents(self.session)
        self.operators = SqlOperators(self.session)
        self.operator_sessions = SqlOperatorSessions(self.session)
        self.console = SqlConsole(self.session)
        self.events: list[AuditEvent] = []
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()  # rolls back whatever was not committed

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)

    def commit(self) -> None:
        try:
            append_events(self.session, self.events)
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise errors.Conflict() from exc
        committed, self.events = self.events, []
        for event in committed:
            self.after_commit(event)


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _unit_of_work: type[ports.UnitOfWork] = SqlUnitOfWork
