"""Events to NATS JetStream: one subject per type, on a stream created if missing, deduplicated by event id."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError


class JetStreamSink:
    def __init__(
        self,
        url: str,
        stream: str = "ACCOUNTS_EVENTS",
        subject_prefix: str = "accounts.events",
        duplicate_window: float = 3600.0,
        ack_timeout: float = 5.0,
        max_age: float = 180 * 86400.0,
    ):
        """`max_age`: seconds a message stays in the stream; the relay passes the audit log's retention, so the
        stream forgets an event when the database does."""
        self.url, self.stream, self.prefix = url, stream, subject_prefix
        self.duplicate_window, self.ack_timeout, self.max_age = duplicate_window, ack_timeout, max_age
        self.connection: Client | None = None
        self.js: JetStreamContext | None = None

    def subject(self, event_type: str) -> str:
        return f"{self.prefix}.{event_type}"

    async def _ready(self) -> JetStreamContext:
        if self.connection is None or self.connection.is_closed or not self.connection.is_connected:
            await self.close()
            # No reconnecting in the background: a lost connection fails this round's publishes, the position
            # stays, and the next round connects again and publishes the same ids (deduplicated by the stream).
            self.connection = await nats.connect(
                self.url, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=0
            )
            self.js = self.connection.jetstream(timeout=self.ack_timeout)
            try:
                info = await self.js.stream_info(self.stream)
            except NotFoundError:
                await self.js.add_stream(
                    StreamConfig(
                        name=self.stream,
                        subjects=[f"{self.prefix}.>"],
                        duplicate_window=self.duplicate_window,
                        max_age=self.max_age,
                    )
                )
            else:
                if info.config.max_age != self.max_age:  # made by an older relay (kept forever) or another retention
                    await self.js.update_stream(replace(info.config, max_age=self.max_age))
        assert self.js is not None  # made with the connection
        return self.js

    async def publish(self, messages: list[tuple[str, bytes, str]]) -> tuple[int, str | None]:
        """(subject, payload, message id) in order; returns how many, from the first, the stream acknowledged,
        and the error that stopped the rest. Publishes go out in order, acks are awaited together."""
        try:
            js = await self._ready()
            futures = [
                await js.publish_async(subject, payload, headers={"Nats-Msg-Id": message_id})
                for subject, payload, message_id in messages
            ]
        except (TimeoutError, NatsError, OSError) as exc:
            await self.close()
            return 0, f"{type(exc).__name__}: {exc}"
        acked = 0
        for future in futures:
            try:
                await asyncio.wait_for(future, self.ack_timeout)
            except (TimeoutError, NatsError, OSError) as exc:
                for rest in futures:
                    rest.cancel()
                await self.close()
                return acked, f"{type(exc).__name__}: {exc}"
            acked += 1
        return acked, None

    async def close(self) -> None:
        connection, self.connection, self.js = self.connection, None, None
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except (NatsError, OSError):
                pass
