"""The JetStream sink against the real server on 127.0.0.1:4222 (skipped with the reason when it does not answer;
REQUIRE_SERVICES=1 makes that a failure). Each test uses a stream and subject prefix of its own, deleted after."""

from __future__ import annotations

import asyncio
import json
import os
import secrets

import nats
import pytest
from nats.js.errors import NotFoundError
from sqlalchemy import update

from adapters.jetstream import JetStreamSink
from adapters.sqlalchemy.tables import relay_positions
from domain.outbox import TypeFilter
from tests.conftest import unavailable
from tests.integration.relay_helpers import commit_events, drain, make_relay, migrated
from tests.integration.tcp_proxy import TcpProxy

NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")
HOST, PORT = NATS_URL.rsplit("//", 1)[1].rsplit(":", 1)


async def _jetstream_answers() -> None:
    connection = await nats.connect(NATS_URL, connect_timeout=2, allow_reconnect=False)
    try:
        await connection.jetstream().account_info()
    finally:
        await connection.close()


@pytest.fixture
def stream():
    """(stream name, subject prefix) of this test; the stream is deleted afterwards."""
    try:
        asyncio.run(_jetstream_answers())
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means "not here"
        unavailable(f"NATS JetStream at {NATS_URL}", f"{type(exc).__name__}: {exc}")
    token = secrets.token_hex(4)
    name, prefix = f"TEST_EVENTS_{token}", f"test_{token}.accounts.events"
    yield name, prefix

    async def delete():
        connection = await nats.connect(NATS_URL, connect_timeout=2)
        try:
            await connection.jetstream().delete_stream(name)
        except NotFoundError:
            pass  # the test failed before the relay made it
        finally:
            await connection.close()

    asyncio.run(delete())


async def stream_messages(name: str, prefix: str) -> list:
    connection = await nats.connect(NATS_URL, connect_timeout=2)
    try:
        js = connection.jetstream()
        info = await js.stream_info(name)
        messages = []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            messages.append(await js.get_msg(name, sequence))
        return messages
    finally:
        await connection.close()


def nats_relay(engine, url: str, name: str, prefix: str, **settings):
    relay = make_relay(engine, **settings)
    relay.nats = JetStreamSink(url, name, prefix, ack_timeout=2)
    relay.outbox.position("nats")  # the sink starts at the newest event, as a new deployment does
    return relay


def test_events_are_published_per_type_deduplicated_by_id_and_acked_before_the_position_moves(tmp_path, stream):
    name, prefix = stream
    engine = migrated(f"sqlite:///{tmp_path / 'nats.sqlite3'}")
    relay = nats_relay(engine, NATS_URL, name, prefix, types=TypeFilter.parse("", "captcha.issued"))
    ids = commit_events(engine, [("user.registered", 1), ("captcha.issued", None), ("login.succeeded", 1)])

    async def scenario():
        await drain(relay)
        messages = await stream_messages(name, prefix)
        assert [m.subject for m in messages] == [f"{prefix}.user.registered", f"{prefix}.login.succeeded"]
        assert [m.headers["Nats-Msg-Id"] for m in messages] == [str(ids[0]), str(ids[2])]
        body = json.loads(messages[0].data)
        assert body["id"] == ids[0] and body["mobile_masked"] == "138****8000" and "mobile" not in body
        assert relay.outbox.position("nats") == ids[2]
        # Published again from an older position (a relay killed after publishing, before moving it): no duplicates.
        with engine.begin() as connection:
            connection.execute(update(relay_positions).where(relay_positions.c.sink == "nats").values(position=0))
        await drain(relay)
        await relay.close()
        assert len(await stream_messages(name, prefix)) == 2

    asyncio.run(scenario())
    engine.dispose()


def test_nats_down_then_back_loses_nothing_and_holds_back_no_webhook(tmp_path, stream):
    from tests.integration.relay_helpers import add_endpoint
    from tests.integration.webhook_receiver import Receiver

    name, prefix = stream
    engine = migrated(f"sqlite:///{tmp_path / 'nats.sqlite3'}")
    receiver = Receiver()
    add_endpoint(engine, receiver.url)
    proxy = TcpProxy(HOST, int(PORT))
    proxy.start()
    relay = nats_relay(engine, f"nats://127.0.0.1:{proxy.port}", name, prefix)

    async def scenario():
        first = commit_events(engine, [("user.registered", n) for n in range(5)])
        await drain(relay)
        proxy.cut()
        second = commit_events(engine, [("login.succeeded", n) for n in range(5)])
        relay.nats_retry_at = 0
        await drain(relay)  # NATS fails; the webhook still gets its events
        assert relay.nats_failures == 1 and relay.outbox.position("nats") == first[-1]
        assert sorted(receiver.ids()) == sorted(first + second)
        proxy.start()
        relay.nats_retry_at = 0  # the pause after a failure, over
        await drain(relay)
        await relay.close()
        return first + second

    ids = asyncio.run(scenario())
    proxy.cut()
    receiver.close()
    messages = asyncio.run(stream_messages(name, prefix))
    published = [int(m.headers["Nats-Msg-Id"]) for m in messages if ".webhook." not in m.subject]
    assert published == ids  # every event, once, in order
    engine.dispose()


async def stream_config(name: str):
    connection = await nats.connect(NATS_URL, connect_timeout=2)
    try:
        return (await connection.jetstream().stream_info(name)).config
    finally:
        await connection.close()


def test_the_stream_keeps_messages_as_long_as_the_audit_log_and_an_old_stream_is_brought_in_line(stream):
    name, prefix = stream

    async def publish_once(sink: JetStreamSink) -> None:
        assert await sink.publish([(sink.subject("user.registered"), b"{}", secrets.token_hex(8))]) == (1, None)
        await sink.close()

    asyncio.run(publish_once(JetStreamSink(NATS_URL, name, prefix, ack_timeout=2, max_age=86400.0)))
    assert asyncio.run(stream_config(name)).max_age == 86400.0
    asyncio.run(publish_once(JetStreamSink(NATS_URL, name, prefix, ack_timeout=2, max_age=7 * 86400.0)))
    assert asyncio.run(stream_config(name)).max_age == 7 * 86400.0
