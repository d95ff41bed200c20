"""个人中心 → 下载我的数据 (PIPL art. 45): a copy of everything the service keeps about the account, made on request.

What belongs to the account: its own events (user_id), and events about a number it held that name no account
(a code sent to it, a refused sign-in with it) only while it held that number: from its sign-up (less one code's
lifetime, for the code that proved the number) or its 换绑 to the number, until its 换绑 away. The previous holder
of a recycled number, and whoever holds a number after this account left it, are not in this account's copy.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

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


class Holding(NamedTuple):
    """A number the account held, from `since` until `until` (None: it holds it still)."""

    mobile: str
    since: datetime
    until: datetime | None


def holdings(user: User, history: list[AuditEvent], rules: Rules) -> list[Holding]:
    """When the account held which number, from its `user.registered` and `mobile.changed` events (each names the
    number held from then on). Without its sign-up event (past the audit retention, or past
    `data_copy_mobile_history`) the numbers before the first change known are left out; with no event at all, the
    current number counts from the account's creation (any older event was purged with the ones that would say)."""
    points = sorted(
        (e.occurred_at, e.type == EventType.USER_REGISTERED, e.mobile)
        for e in history
        if e.mobile and e.type in (EventType.USER_REGISTERED, EventType.MOBILE_CHANGED)
    )
    if not points:
        return [Holding(user.mobile, user.created_at - rules.sms_code_ttl, None)]
    held = []
    for i, (at, registered, mobile) in enumerate(points):
        until = points[i + 1][0] if i + 1 < len(points) else None
        # The code that proved the number at sign-up was sent before the account existed, to this holder.
        held.append(Holding(mobile, at - rules.sms_code_ttl if registered else at, until))
    return held


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
            # The account's row, held to commit: racing requests of one account count one after another.
            user = uow.users.get_for_update(cmd.user_id)
            if user is None:
                raise errors.LoginRequired()
            assert user.id is not None
            self._check_limit(uow, user.id, now)
            consents = uow.consents.for_user(user.id)
            sessions = session_records(uow, user)
            history = uow.audit.recent_for_user(
                user.id, (EventType.USER_REGISTERED, EventType.MOBILE_CHANGED), self.rules.data_copy_mobile_history
            )
            # Recorded as the copy is handed out: a download cut short was still a copy made.
            record(uow, EventType.DATA_EXPORTED, now=now, client=cmd.client, mobile=user.mobile, user_id=user.id)
            uow.commit()
        user_id = user.id
        own = self._pages(lambda audit, after, n: audit.page_for_user(user_id, after, n))
        # Events that name a number the account held but no account, each only while the account held it.
        unattributed = [
            self._pages(
                lambda audit, after, n, held=held: audit.page_unattributed(
                    held.mobile, after, n, since=held.since, until=held.until
                )
            )
            for held in holdings(user, history, self.rules)
        ]
        merged = heapq.merge(own, *unattributed, key=lambda pair: (pair[1].occurred_at, pair[0]))
        events = (event for _, event in merged)
        return DataCopy(now, account_fields(user), consents, sessions, events)

    def _check_limit(self, uow: UnitOfWork, user_id: int, now: datetime) -> None:
        """At most `data_copies_per_window` copies in `data_copy_window`, counted by their `data.exported`
        events; refused (nothing recorded, as the per-address limit) until the oldest of them leaves the window."""
        rules = self.rules
        latest = uow.audit.recent_for_user(user_id, (EventType.DATA_EXPORTED,), rules.data_copies_per_window)
        if len(latest) < rules.data_copies_per_window:
            return
        free_at = latest[-1].occurred_at + rules.data_copy_window
        if free_at > now:
            wait = math.ceil((free_at - now).total_seconds())
            raise errors.DataCopyLimitReached(minutes=math.ceil(wait / 60), retry_after=wait)

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
