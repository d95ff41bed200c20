"""Webhook: the event log's endpoints and how far behind each one is. Read-only for every role: endpoints are
added, removed and replayed with `accounts webhooks` on the command line, where the signing secret is shown once.

Nothing secret leaves here: not the secret's salt, and not the endpoint's path or query string, which often carry
a receiver's own token (chat bots' webhook URLs do); an error text that quotes a URL keeps only its host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from domain.events import ClientContext
from domain.flows.operator_actions import require
from domain.operators import Action, Actor
from domain.outbox import WebhookStatus
from domain.ports import Clock, IntegrationsUnitOfWorkFactory, UnitOfWorkFactory

# A URL inside an error text (aiohttp quotes the target in some of its messages, e.g. URL('https://...')).
URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


@dataclass(frozen=True)
class WebhookLag:
    """One endpoint as the console shows it: where it points (the host only), what it gets, how far behind."""

    id: int
    host: str  # host[:port] as given; IPv6 in brackets
    event_types: tuple[str, ...]  # empty: every exported type
    full_mobile: bool  # receives full mobiles (an auditor will want to know)
    allow_private: bool
    created_at: datetime
    pending: int  # deliveries waiting for a first try or a retry
    failed: int  # given up after the retry window; `accounts webhooks replay` sends them again
    behind: int  # events in the log not yet handed to this endpoint
    oldest_pending_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


def host_of(url: str) -> str:
    """The URL's host and port; user info (refused at add anyway), path, query and fragment dropped."""
    try:
        return urlsplit(url).netloc.rpartition("@")[2] or "-"
    except ValueError:
        return "-"


def without_paths(text: str) -> str:
    """Every URL in the text cut down to scheme://host, with … where something followed."""

    def cut(match: re.Match[str]) -> str:
        url = match.group(0)
        origin = f"{url.split('://', 1)[0]}://{host_of(url)}"
        return origin if url.rstrip("/") == origin else origin + "/…"

    return URL_IN_TEXT.sub(cut, text)


def lag_of(status: WebhookStatus) -> WebhookLag:
    e = status.endpoint
    return WebhookLag(
        id=e.id,
        host=host_of(e.url),
        event_types=e.event_types,
        full_mobile=e.full_mobile,
        allow_private=e.allow_private,
        created_at=e.created_at,
        pending=status.pending,
        failed=status.failed,
        behind=status.behind,
        oldest_pending_at=status.oldest_pending_at,
        last_success_at=e.last_success_at,
        last_error=without_paths(e.last_error) if e.last_error else None,
        last_error_at=e.last_error_at,
    )


class ViewWebhooks:
    def __init__(self, webhooks: IntegrationsUnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock):
        self.webhooks, self.uow, self.clock = webhooks, uow, clock

    def __call__(self, actor: Actor, client: ClientContext) -> list[WebhookLag]:
        require(actor, Action.READ, uow=self.uow, clock=self.clock, client=client)
        with self.webhooks() as uow:
            statuses = uow.webhooks.statuses()
        return [lag_of(status) for status in statuses]
