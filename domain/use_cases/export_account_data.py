"""个人中心 → 下载我的数据 (PIPL art. 45): a copy of everything the service keeps about the account, made on request."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.flows.audit import record
from domain.model import Consent, User
from domain.ports import Clock, EventCursor, UnitOfWork, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class DataExportRequest:
    user_id: int
    client: ClientContext


@dataclass(frozen=True)
class DataCopy:
    generated_at: datetime
    account: dict[str, Any]
    consents: list[Consent]
    sessions: list[dict[str, Any]]
    events: Iterator[AuditEvent]  # oldest first, read a page at a time while the copy is written out


def account_fields(user: User) -> dict[str, Any]:
    """The account row as the person would recognise it. The password hash is a credential, not information
    about the person, and is left out."""
    return {
        "id": user.id,
        "mobile": user.mobile,
        "nickname": user.nickname,
        "created_at": user.created_at,
        "failed_logins": user.failed_logins,
        "last_failure_at": user.last_failure_at,
        "locked_until": user.locked_until,
    }


def session_records(uow: UnitOfWork, user: User) -> list[dict[str, Any]]:
    """The account's sessions as the server keeps them (never the cookie's secret or its digest)."""
    assert user.id is not None
    return [
        {
            "id": s.public_id,
            "signed_in_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "ip": s.ip,
            "user_agent": s.user_agent,
            "remember": s.remember,
            "expires_at": s.expires_at,
            "ended_at": s.ended_at,
            "end_reason": s.end_reason,
        }
        for s in uow.sessions.for_user(user.id)
    ]


class ExportAccountData:
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.reader, self.clock, self.rules = uow, reader, clock, rules

    def __call__(self, cmd: DataExportRequest) -> DataCopy:
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(cmd.user_id)
            if user is None:
                raise errors.LoginRequired()
            assert user.id is not None
            consents = uow.consents.for_user(user.id)
            sessions = session_records(uow, user)
            # Recorded as the copy is handed out: a download cut short was still a copy made.
            record(uow, EventType.DATA_EXPORTED, now=now, client=cmd.client, mobile=user.mobile, user_id=user.id)
            uow.commit()
        user_id, mobile = user.id, user.mobile
        own = self._pages(lambda audit, after, n: audit.page_for_user(user_id, after, n))
        # Events that name the mobile but no account (a sign-up code sent before the account existed).
        unattributed = self._pages(lambda audit, after, n: audit.page_unattributed(mobile, after, n))
        events = (event for _, event in heapq.merge(own, unattributed, key=lambda pair: (pair[1].occurred_at, pair[0])))
        return DataCopy(now, account_fields(user), consents, sessions, events)

    def _pages(self, read: Callable[..., list[tuple[int, AuditEvent]]]) -> Iterator[tuple[int, AuditEvent]]:
        """Each page in a short read transaction of its own, so a long history never sits in memory or holds
        a snapshot open while the client downloads."""
        after: EventCursor | None = None
        while True:
            with self.reader() as uow:
                page = read(uow.audit, after, self.rules.export_page_size)
            yield from page
            if len(page) < self.rules.export_page_size:
                return
            last_id, last = page[-1]
            after = (last.occurred_at, last_id)
