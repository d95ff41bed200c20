"""审计日志: every event, filtered and paged; and the same as CSV, which is itself an audited action."""

from __future__ import annotations

from domain.console import EventFilter, Page
from domain.events import AuditEvent, ClientContext, EventType
from domain.flows.operator_actions import record_action, require
from domain.operators import Action, Actor
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.admin.users import page_number, shown_to


class SearchEvents:
    def __init__(self, reader: UnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.reader, self.uow, self.clock, self.rules = reader, uow, clock, rules

    def __call__(self, actor: Actor, where: EventFilter, page: int, client: ClientContext) -> Page[AuditEvent]:
        require(actor, Action.READ, uow=self.uow, clock=self.clock, client=client)
        page, size = page_number(page), self.rules.console_page_size
        with self.reader() as uow:
            events = uow.console.events(where, (page - 1) * size, size + 1)
        return Page(shown_to(actor, events[:size]), page, len(events) > size)


class ExportEvents:
    """Up to rules.console_export_limit events, newest first; recorded with the filters and the row count."""

    def __init__(self, reader: UnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.reader, self.uow, self.clock, self.rules = reader, uow, clock, rules

    def __call__(self, actor: Actor, where: EventFilter, client: ClientContext) -> list[AuditEvent]:
        require(actor, Action.EXPORT, uow=self.uow, clock=self.clock, client=client)
        with self.reader() as uow:  # read outside the write transaction: an export must not hold the lock
            events = uow.console.events(where, 0, self.rules.console_export_limit)
        with self.uow() as uow:
            record_action(
                uow,
                EventType.ADMIN_AUDIT_EXPORTED,
                actor,
                now=self.clock.now(),
                client=client,
                filters=where.describe(),
                rows=len(events),
            )
            uow.commit()
        return shown_to(actor, events)
