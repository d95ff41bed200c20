"""The relay: `accounts relay [--once]`. Reads committed audit events in order and hands them to the sinks.

Each round, holding the lease (one relay per database; a second one waits):
1. sequence: number newly committed events (adapters/sqlalchemy/outbox.py says why a number of its own);
2. NATS JetStream, when NATS_URL is set: publish the next events in order, each with Nats-Msg-Id = event id,
   and move the sink's position only over what the stream acknowledged;
3. webhooks, fan-out: queue one delivery per endpoint and matching event, moving each endpoint's position in
   the same transaction;
4. webhooks, dispatch: POST the due deliveries, signed, a user's deliveries one after another in order and
   different users' at once; delivered rows are deleted, failed ones retried with backoff for 24 h.
A sink that fails does not hold back the others. The web workers never call a sink.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from adapters.jetstream import JetStreamSink
from adapters.sqlalchemy.outbox import Due, Outcome, RelayLease, SqlOutbox, StaleFanOut
from adapters.system import SystemClock
from adapters.webhooks import WebhookSender
from domain import ports
from domain.outbox import OutboxEvent, RetryRule, TypeFilter, payload, webhook_secret
from entrypoints.settings import exported_types, flag

log = structlog.get_logger("relay")


@dataclass(frozen=True)
class RelaySettings:
    types: TypeFilter = field(default_factory=lambda: exported_types({}))
    batch_size: int = 500
    poll_interval: float = 0.2  # seconds between rounds with nothing to do
    nats_url: str | None = None
    nats_stream: str = "ACCOUNTS_EVENTS"
    nats_subject_prefix: str = "accounts.events"
    nats_full_mobile: bool = False
    nats_max_age: timedelta = timedelta(days=180)  # the stream keeps an event as long as the audit log does
    webhook_timeout: float = 10.0
    webhook_concurrency: int = 32
    retry: RetryRule = RetryRule()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], audit_retention: timedelta) -> RelaySettings:
        """From what entrypoints/settings.py read (the environment's RELAY_*, NATS_* and WEBHOOK_* included), and
        the audit log's retention rule, which the JetStream stream keeps too."""

        def number(name, default, kind=float):
            return kind(settings.get(name, default))

        return cls(
            types=exported_types(settings),
            batch_size=number("RELAY_BATCH_SIZE", 500, int),
            poll_interval=number("RELAY_POLL_INTERVAL", 0.2),
            nats_url=settings.get("NATS_URL") or None,
            nats_stream=settings.get("NATS_STREAM", "ACCOUNTS_EVENTS"),
            nats_subject_prefix=settings.get("NATS_SUBJECT_PREFIX", "accounts.events"),
            nats_full_mobile=flag("NATS_FULL_MOBILE", settings.get("NATS_FULL_MOBILE", False)),
            nats_max_age=audit_retention,
            webhook_timeout=number("WEBHOOK_TIMEOUT", 10.0),
            webhook_concurrency=number("WEBHOOK_CONCURRENCY", 32, int),
            retry=RetryRule(  # defaults in domain/outbox.py
                base=timedelta(seconds=number("WEBHOOK_RETRY_BASE", RetryRule.base.total_seconds())),
                cap=timedelta(seconds=number("WEBHOOK_RETRY_CAP", RetryRule.cap.total_seconds())),
                give_up_after=timedelta(seconds=number("WEBHOOK_RETRY_FOR", RetryRule.give_up_after.total_seconds())),
            ),
        )


def body(event: OutboxEvent, full_mobile: bool) -> str:
    return json.dumps(payload(event, full_mobile=full_mobile), ensure_ascii=False, separators=(",", ":"))


class SinkFailed(RuntimeError):
    pass


class Relay:
    def __init__(
        self,
        outbox: SqlOutbox,
        lease: RelayLease,
        settings: RelaySettings,
        signing_key: bytes,
        *,
        sender: WebhookSender | None = None,
        nats: JetStreamSink | None = None,
        clock: ports.Clock | None = None,
        rng: Callable[[], float] = random.random,
    ):
        self.outbox, self.lease, self.settings, self.signing_key = outbox, lease, settings, signing_key
        self.sender = sender or WebhookSender(
            timeout=settings.webhook_timeout, connections=settings.webhook_concurrency
        )
        self.nats = nats
        if nats is None and settings.nats_url:
            self.nats = JetStreamSink(
                settings.nats_url,
                settings.nats_stream,
                settings.nats_subject_prefix,
                max_age=settings.nats_max_age.total_seconds(),
            )
        self.clock = clock or SystemClock()
        self.rng = rng
        self.nats_failures, self.nats_retry_at = 0, 0.0
        self.failed = False  # a sink failed during this run (`--once` then exits 1)
        self.secrets: dict[str, str] = {}  # endpoint salt -> signing secret

    def secret(self, salt: str) -> str:
        if salt not in self.secrets:
            self.secrets[salt] = webhook_secret(self.signing_key, salt)
        return self.secrets[salt]

    async def round(self) -> bool:
        """One pass over every step; True when a step had a full batch (so there is more to do at once)."""
        batch = self.settings.batch_size
        more = self.outbox.sequence(batch) == batch
        if self.nats is not None and time.monotonic() >= self.nats_retry_at:
            try:
                more |= await self.publish_to_nats()
            except SinkFailed as exc:  # the webhooks go on; NATS is tried again after a pause
                self.nats_failures += 1
                self.failed = True
                self.nats_retry_at = time.monotonic() + min(30.0, 0.5 * 2 ** min(self.nats_failures, 6))
                log.warning("relay.nats_unavailable", error=str(exc)[:300], attempt=self.nats_failures)
        more |= self.fan_out()
        more |= await self.dispatch()
        return more

    async def publish_to_nats(self) -> bool:
        assert self.nats is not None  # called only when the relay has a NATS sink
        position = self.outbox.position("nats")
        events = self.outbox.read(position, self.settings.batch_size)
        if not events:
            return False
        chosen = [e for e in events if self.settings.types(e.type)]
        messages = [
            (self.nats.subject(e.type), body(e, self.settings.nats_full_mobile).encode(), str(e.id)) for e in chosen
        ]
        acked, error = await self.nats.publish(messages) if messages else (0, None)
        # The position moves over what was acknowledged (and the skipped types before the first that was not).
        reached = events[-1].seq if error is None else (chosen[acked].seq - 1)
        if reached > position:
            self.outbox.advance("nats", reached, self.clock.now())
        if error is not None:
            raise SinkFailed(f"NATS: {error}")
        if self.nats_failures:
            log.info("relay.nats_back", after_attempts=self.nats_failures)
            self.nats_failures = 0
        return len(events) == self.settings.batch_size

    def fan_out(self) -> bool:
        endpoints = self.outbox.endpoints()
        if not endpoints:
            return False
        events = self.outbox.read(min(e.position for e in endpoints), self.settings.batch_size)
        if not events:
            return False
        last = events[-1].seq
        deliveries, positions = [], {}
        for endpoint in endpoints:
            wanted = self.settings.types.narrowed(endpoint.event_types)
            deliveries += [
                {"endpoint_id": endpoint.id, "event_id": e.id, "seq": e.seq, "user_id": e.user_id}
                for e in events
                if endpoint.receives(e.id, e.seq) and wanted(e.type)
            ]
            if last > endpoint.position:
                positions[endpoint.id] = (endpoint.position, last)
        try:
            self.outbox.fan_out(deliveries, positions, self.clock.now())
        except StaleFanOut:
            return True  # an endpoint changed under us (removed, most likely): read again
        return len(events) == self.settings.batch_size

    async def dispatch(self) -> bool:
        due = self.outbox.due(self.clock.now(), self.settings.batch_size)
        if not due:
            return False
        queues: dict[tuple, list[Due]] = {}
        for delivery in due:  # in seq order: each user's queue is in commit order
            key = (
                (delivery.endpoint.id, delivery.event.user_id)
                if delivery.event.user_id is not None
                else ("alone", delivery.id)
            )
            queues.setdefault(key, []).append(delivery)
        slots = asyncio.Semaphore(self.settings.webhook_concurrency)
        results = await asyncio.gather(*(self.deliver_in_order(queue, slots) for queue in queues.values()))
        outcomes = [o for result in results for o in result]
        self.outbox.settle(outcomes, self.clock.now())
        failed = [o for o in outcomes if o.error]
        if failed:
            log.warning(
                "relay.webhook_failures",
                failed=len(failed),
                delivered=len(outcomes) - len(failed),
                last_error=failed[-1].error,
            )
        return len(due) == self.settings.batch_size

    async def deliver_in_order(self, queue: list[Due], slots: asyncio.Semaphore) -> list[Outcome]:
        """One user's deliveries to one endpoint, in order, stopping at the first failure (it holds the rest)."""
        outcomes = []
        async with slots:
            for delivery in queue:
                endpoint = delivery.endpoint
                error = await self.sender.send(
                    endpoint.url,
                    self.secret(endpoint.secret_salt),
                    str(delivery.event.id),
                    body(delivery.event, endpoint.full_mobile),
                    endpoint.allow_private,
                )
                if error is None:
                    outcomes.append(Outcome(delivery, None))
                    continue
                retry_at = self.settings.retry.next_attempt(
                    delivery.attempts + 1, delivery.created_at, self.clock.now(), self.rng
                )
                outcomes.append(Outcome(delivery, error, retry_at))
                break
        return outcomes

    async def close(self) -> None:
        await self.sender.close()
        if self.nats is not None:
            await self.nats.close()
        self.lease.release()


async def run(
    relay: Relay, *, once: bool = False, stop: asyncio.Event | None = None, standby_interval: float = 1.0
) -> int:
    """Rounds until stopped (or, with once, until nothing is left to do now). Returns the exit status."""
    stop = stop or asyncio.Event()
    outages, waiting = 0, False
    try:
        while not stop.is_set():
            try:
                if not relay.lease.acquire():
                    if not waiting:
                        log.info("relay.standby", reason="another relay holds the lease")
                        waiting = True
                    await _sleep(stop, standby_interval)
                    continue
                if waiting:
                    log.info("relay.active")
                    waiting = False
                more = await relay.round()
                if outages:
                    log.info("relay.database_back")
                outages = 0
            except relay.outbox.unavailable_errors as exc:
                # The database went away: drop the lease (its session is gone anyway), wait, try again.
                outages += 1
                relay.lease.release()
                log.warning("relay.database_unavailable", error=type(exc).__name__, attempt=outages)
                if once:
                    return 1
                await _sleep(stop, min(15.0, 0.5 * 2 ** min(outages, 5)))
                continue
            if once and not more:
                return 1 if relay.failed else 0
            if not more:
                await _sleep(stop, relay.settings.poll_interval)
        return 0
    finally:
        await relay.close()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


def main(build_relay: Callable[[], Relay], once: bool) -> int:
    """`build_relay`: the composition root's (entrypoints/bootstrap.py), called inside the event loop the relay
    runs on."""

    async def serve() -> int:
        relay = build_relay()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)  # finish the round, then leave
        log.info("relay.started", once=once, nats=bool(relay.settings.nats_url))
        return await run(relay, once=once, stop=stop)

    return asyncio.run(serve())
