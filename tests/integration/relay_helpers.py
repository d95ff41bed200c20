"""Shared by the relay's tests: events committed straight into the log, endpoints, a relay on a settable clock."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.outbox import RelayLease, SqlOutbox
from adapters.sqlalchemy.tables import audit_events, webhook_endpoints
from adapters.target_guard import DnsTargetGuard
from domain.events import ClientContext
from domain.outbox import RetryRule, webhook_secret
from domain.use_cases.webhooks import WebhookRegistration
from entrypoints.bootstrap import Integrations, bootstrap, webhook_signing_key
from entrypoints.relay import Relay, RelaySettings, run
from tests.fakes import FakeCodes

SECRET_KEY = "640bd2f54d0f4a421c0723c534241028e451ad78"
SIGNING_KEY = webhook_signing_key(SECRET_KEY)
OPERATOR = ClientContext(user_agent="pytest")


class Clock:
    def __init__(self):
        self.moment = datetime.now(UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


def migrated(database_url: str) -> Engine:
    engine = make_engine(database_url)
    upgrade(engine)
    return engine


def commit_events(engine: Engine, specs: list[tuple[str, int | None]], mobile: str = "13800138000") -> list[int]:
    """(type, user_id) each in a transaction of its own, as the web workers write them; returns the ids."""
    ids = []
    for event_type, user_id in specs:
        with engine.begin() as connection:
            result = connection.execute(
                insert(audit_events).values(
                    type=event_type,
                    occurred_at=datetime.now(UTC),
                    mobile=mobile,
                    user_id=user_id,
                    ip="203.0.113.7",
                    user_agent="pytest",
                    request_id="req",
                    detail={"n": len(ids)},
                )
            )
            ids.append(result.inserted_primary_key[0])
    return ids


def add_endpoint(
    engine: Engine, url: str, types: str = "", allow_private: bool = True, full_mobile: bool = False
) -> tuple[int, str]:
    codes = FakeCodes(texts=[f"salt-{url}-{types}"])
    added = integrations(engine, codes).add_webhook(
        WebhookRegistration(url, types, allow_private, OPERATOR, full_mobile)
    )
    return added.id, added.secret


def replay(engine: Engine, endpoint_id: int | None = None) -> int:
    return integrations(engine).replay_webhooks(endpoint_id, OPERATOR)


def integrations(engine: Engine, codes: FakeCodes | None = None) -> Integrations:
    """The operator's use cases as the composition root wires them, on the test's engine."""
    services = bootstrap(
        settings={"SECRET_KEY": SECRET_KEY}, engine=engine, clock=Clock(), codes=codes, target_guard=DnsTargetGuard()
    )
    return services.integrations


def endpoint_row(engine: Engine, endpoint_id: int):
    with engine.connect() as connection:
        return connection.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)).first()


def make_relay(engine: Engine, clock=None, **settings) -> Relay:
    settings.setdefault("retry", RetryRule())
    return Relay(SqlOutbox(engine), RelayLease(engine), RelaySettings(**settings), SIGNING_KEY, clock=clock)


def secret_for(salt: str) -> str:
    return webhook_secret(SIGNING_KEY, salt)


async def drain(relay: Relay, rounds: int = 100) -> None:
    """Rounds until one finds nothing more to do at once."""
    assert relay.lease.acquire()
    for _ in range(rounds):
        if not await relay.round():
            return


class RelayThread:
    """`run(relay)` in a thread of its own with its own event loop, as a separate process would be."""

    def __init__(self, relay: Relay):
        self.relay = relay
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.thread.start()
        self.ready.wait(10)

    async def _main(self):
        self.loop, self.stop_event = asyncio.get_running_loop(), asyncio.Event()
        self.ready.set()
        await run(self.relay, stop=self.stop_event, standby_interval=0.1)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)
        assert not self.thread.is_alive()
