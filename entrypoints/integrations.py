"""Wiring for the event log's consumers (API keys, webhook endpoints, the pull API), and the settings they share
with the relay. Called by bootstrap; the relay (entrypoints/relay.py) reads the same settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters.logging import log_event
from adapters.sqlalchemy.integrations import SqlEventFeed, SqlIntegrationsUnitOfWork
from adapters.target_guard import DnsTargetGuard
from domain import ports
from domain.outbox import DEFAULT_EXCLUDED, TypeFilter
from domain.rules import Rules
from domain.use_cases.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey, UseApiKey
from domain.use_cases.event_feed import ReadEventFeed
from domain.use_cases.webhooks import AddWebhook, RemoveWebhook, ReplayWebhooks, WebhookStatuses


def setting(config: Mapping, name: str, default=None):
    """From the app's config when given there, else the environment, else the default."""
    if name in config:
        return config[name]
    return os.environ.get(name, default)


def exported_types(config: Mapping) -> TypeFilter:
    """RELAY_EVENT_TYPES (patterns; empty: all) minus RELAY_EXCLUDED_EVENT_TYPES: what leaves the service."""
    return TypeFilter.parse(
        setting(config, "RELAY_EVENT_TYPES", ""), setting(config, "RELAY_EXCLUDED_EVENT_TYPES", DEFAULT_EXCLUDED)
    )


@dataclass(frozen=True)
class Integrations:
    create_api_key: CreateApiKey
    revoke_api_key: RevokeApiKey
    list_api_keys: ListApiKeys
    use_api_key: UseApiKey
    add_webhook: AddWebhook
    remove_webhook: RemoveWebhook
    replay_webhooks: ReplayWebhooks
    webhook_statuses: WebhookStatuses
    read_event_feed: ReadEventFeed


def build_integrations(
    *,
    engine: Engine,
    session_factory: sessionmaker[Session],
    signing_key: bytes,
    clock: ports.Clock,
    codes: ports.Codes,
    rules: Rules,
    types: TypeFilter | None = None,
    guard: ports.TargetGuard | None = None,
) -> Integrations:
    def uow() -> SqlIntegrationsUnitOfWork:
        return SqlIntegrationsUnitOfWork(session_factory, after_commit=log_event)

    guard = guard or DnsTargetGuard()
    types = types or exported_types({})
    return Integrations(
        create_api_key=CreateApiKey(uow, clock, codes),
        revoke_api_key=RevokeApiKey(uow, clock),
        list_api_keys=ListApiKeys(uow),
        use_api_key=UseApiKey(uow, clock, rules),
        add_webhook=AddWebhook(uow, guard, clock, codes, signing_key),
        remove_webhook=RemoveWebhook(uow, clock),
        replay_webhooks=ReplayWebhooks(uow, clock),
        webhook_statuses=WebhookStatuses(uow),
        read_event_feed=ReadEventFeed(SqlEventFeed(engine), types),
    )
