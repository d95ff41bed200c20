"""API keys for internal services (the pull API, the session check): made by an operator, shown once, stored as
a digest, revocable; their use is an audit event at most once per key and interval, tied to no user (a forward-auth
check runs on every page view of a sibling app, and would otherwise fill that user's history)."""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.outbox import ApiKey, api_key_digest
from domain.ports import Clock, Codes, IntegrationsUnitOfWorkFactory
from domain.rules import Rules

KEY_PREFIX = "ak_"
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 43  # 43 characters of 62: 256 bits


@dataclass(frozen=True)
class NewApiKey:
    id: int
    name: str
    key: str  # the only time it is seen


API_KEY_NAME_MAX = 64


def _key_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not 1 <= len(name) <= API_KEY_NAME_MAX or any(unicodedata.category(ch).startswith("C") for ch in name):
        raise errors.InvalidInput("api_key_name", field="name", max=API_KEY_NAME_MAX)
    return name


class CreateApiKey:
    def __init__(self, uow: IntegrationsUnitOfWorkFactory, clock: Clock, codes: Codes):
        self.uow, self.clock, self.codes = uow, clock, codes

    def __call__(self, name: str, client: ClientContext) -> NewApiKey:
        name = _key_name(name)
        key = KEY_PREFIX + self.codes.text(KEY_ALPHABET, KEY_LENGTH)
        now = self.clock.now()
        with self.uow() as uow:
            key_id = uow.api_keys.add(name, api_key_digest(key), now)
            record(uow, EventType.API_KEY_CREATED, now=now, client=client, key_id=key_id, name=name)
            uow.commit()
        return NewApiKey(key_id, name, key)


class RevokeApiKey:
    def __init__(self, uow: IntegrationsUnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, key_id: int, client: ClientContext) -> ApiKey:
        now = self.clock.now()
        with self.uow() as uow:
            key = uow.api_keys.get(key_id)
            if key is None:
                raise errors.ApiKeyNotFound()
            if key.revoked_at is None:  # revoking twice changes nothing and records nothing
                uow.api_keys.revoke(key_id, now)
                record(uow, EventType.API_KEY_REVOKED, now=now, client=client, key_id=key_id, name=key.name)
                uow.commit()
        return key


class ListApiKeys:
    def __init__(self, uow: IntegrationsUnitOfWorkFactory):
        self.uow = uow

    def __call__(self) -> list[ApiKey]:
        with self.uow() as uow:
            return uow.api_keys.all()


@dataclass(frozen=True)
class ApiKeyUse:
    presented: str  # what followed "Bearer "
    endpoint: str  # which internal endpoint, for the audit
    client: ClientContext


class UseApiKey:
    """Admits a call with an active key; the first use in each interval is recorded, in the same transaction as the
    key's `last_used_at`, so of racing calls one records it. Other calls only read.

    A refused key writes nothing: callers without a key must not be able to grow the log.
    """

    def __init__(self, uow: IntegrationsUnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, use: ApiKeyUse) -> ApiKey:
        if not use.presented.startswith(KEY_PREFIX) or len(use.presented) > 128:
            raise errors.ApiKeyInvalid()
        now = self.clock.now()
        recorded_since = now - self.rules.api_key_use_record_interval
        with self.uow() as uow:
            key = uow.api_keys.find_active(api_key_digest(use.presented))
            if key is None:
                raise errors.ApiKeyInvalid()
            if key.last_used_at is not None and key.last_used_at > recorded_since:
                return key
            if uow.api_keys.mark_used(key.id, now, unless_since=recorded_since):
                record(
                    uow,
                    EventType.API_KEY_USED,
                    now=now,
                    client=use.client,
                    key_id=key.id,
                    name=key.name,
                    endpoint=use.endpoint,
                )
                uow.commit()
        return key
