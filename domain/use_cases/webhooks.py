"""Webhook endpoints, managed by an operator: add (URL checked against SSRF, a secret made), remove, replay the
failed deliveries, and the status of each."""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain import errors
from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.outbox import WebhookStatus, parse_types, webhook_secret
from domain.ports import Clock, Codes, IntegrationsUnitOfWorkFactory, TargetGuard

SALT_ALPHABET = string.ascii_letters + string.digits
MAX_URL = 2048


@dataclass(frozen=True)
class WebhookRegistration:
    url: str
    types: str | None  # "user.registered,login.failed"; None or "": every exported type
    allow_private: bool
    client: ClientContext
    full_mobile: bool = False
    from_beginning: bool = False  # every event still in the log, not only those committed from now on


@dataclass(frozen=True)
class AddedWebhook:
    id: int
    secret: str  # whsec_...: shown once to the operator, derived again by the relay


@dataclass(frozen=True)
class Target:
    url: str
    host: str
    port: int


def parse_target(url: str, allow_private: bool) -> Target:
    """An absolute http(s) URL without credentials. Plain http only for receivers inside the network."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise errors.WebhookUrlInvalid() from None
    if (
        len(url) > MAX_URL
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.fragment
    ):
        raise errors.WebhookUrlInvalid()
    if parts.scheme == "http" and not allow_private:
        raise errors.WebhookUrlInvalid()
    return Target(url, parts.hostname, port or (443 if parts.scheme == "https" else 80))


class AddWebhook:
    def __init__(
        self, uow: IntegrationsUnitOfWorkFactory, guard: TargetGuard, clock: Clock, codes: Codes, signing_key: bytes
    ):
        self.uow, self.guard, self.clock, self.codes, self.signing_key = uow, guard, clock, codes, signing_key

    def __call__(self, cmd: WebhookRegistration) -> AddedWebhook:
        target = parse_target(cmd.url, cmd.allow_private)
        types = parse_types(cmd.types)
        self.guard.check(target.host, target.port, cmd.allow_private)  # outside the transaction: DNS takes time
        salt = self.codes.text(SALT_ALPHABET, 32)
        now = self.clock.now()
        with self.uow() as uow:
            endpoint_id = uow.webhooks.add(
                target.url, types, cmd.allow_private, cmd.full_mobile, salt, now, from_beginning=cmd.from_beginning
            )
            record(
                uow,
                EventType.WEBHOOK_ADDED,
                now=now,
                client=cmd.client,
                endpoint_id=endpoint_id,
                host=target.host,
                types=list(types),
                allow_private=cmd.allow_private,
                full_mobile=cmd.full_mobile,
                from_beginning=cmd.from_beginning,
            )
            uow.commit()
        return AddedWebhook(endpoint_id, webhook_secret(self.signing_key, salt))


class RemoveWebhook:
    def __init__(self, uow: IntegrationsUnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, endpoint_id: int, client: ClientContext) -> None:
        with self.uow() as uow:
            endpoint = uow.webhooks.get(endpoint_id)
            if endpoint is None:
                raise errors.WebhookNotFound()
            uow.webhooks.remove(endpoint_id)
            record(
                uow,
                EventType.WEBHOOK_REMOVED,
                now=self.clock.now(),
                client=client,
                endpoint_id=endpoint_id,
                host=urlsplit(endpoint.url).hostname,
            )
            uow.commit()


class ReplayWebhooks:
    def __init__(self, uow: IntegrationsUnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, endpoint_id: int | None, client: ClientContext) -> int:
        now = self.clock.now()
        with self.uow() as uow:
            if endpoint_id is not None and uow.webhooks.get(endpoint_id) is None:
                raise errors.WebhookNotFound()
            count = uow.webhooks.replay_failed(endpoint_id, now)
            if count:
                record(
                    uow, EventType.WEBHOOK_REPLAYED, now=now, client=client, endpoint_id=endpoint_id, deliveries=count
                )
            uow.commit()
        return count


class WebhookStatuses:
    def __init__(self, uow: IntegrationsUnitOfWorkFactory):
        self.uow = uow

    def __call__(self) -> list[WebhookStatus]:
        with self.uow() as uow:
            return uow.webhooks.statuses()
