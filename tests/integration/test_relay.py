"""The relay on real databases: commit order, signed webhooks, retries, per-user order, SSRF at delivery time,
one relay at a time, outages of the receiver and of the database."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.outbox import SqlOutbox
from adapters.sqlalchemy.tables import audit_events, webhook_deliveries, webhook_endpoints
from domain.outbox import RetryRule, TypeFilter
from tests.conftest import server_database
from tests.integration.relay_helpers import (
    Clock,
    RelayThread,
    add_endpoint,
    commit_events,
    drain,
    endpoint_row,
    make_relay,
    migrated,
    replay,
)
from tests.integration.tcp_proxy import TcpProxy
from tests.integration.webhook_receiver import Receiver

EXPORTED = TypeFilter.parse("", "captcha.issued,api_key.used")


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def assert_per_user_order(received, expected_ids):
    """Every event arrived; duplicates only with the same webhook-id and body; each user's in commit order."""
    first_seen, bodies = {}, {}
    received = [r for r in received if not r.body["type"].startswith("webhook.")]  # the endpoints' own setup
    for r in received:
        assert bodies.setdefault(r.webhook_id, r.body) == r.body
        first_seen.setdefault(int(r.webhook_id), len(first_seen))
    assert set(first_seen) == set(expected_ids)
    by_user = defaultdict(list)
    for event_id in sorted(first_seen, key=first_seen.get):
        by_user[bodies[str(event_id)]["user_id"]].append(event_id)
    for user_id, ids in by_user.items():
        if user_id is not None:
            assert ids == sorted(ids), f"user {user_id} got {ids}"


# --- commit order --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_an_event_that_commits_after_a_higher_id_is_delivered_after_it_not_skipped(server):
    """SQLite has one writer at a time, so there a lower id always commits first; the servers do not."""
    engine = migrated(server_database(server))
    outbox = SqlOutbox(engine)
    with engine.connect() as slow:
        transaction = slow.begin()
        slow_id = slow.execute(
            insert(audit_events).values(type="user.registered", occurred_at=Clock().now(), user_id=1, detail={})
        ).inserted_primary_key[0]
        [fast_id] = commit_events(engine, [("login.succeeded", 2)])
        assert slow_id < fast_id
        outbox.sequence(100)
        seen = outbox.read(0, 100)
        assert [e.id for e in seen] == [fast_id]
        position = seen[-1].seq  # a sink moves on past the higher id...
        transaction.commit()
    outbox.sequence(100)
    late = outbox.read(position, 100)  # ...and still gets the lower one that committed later
    assert [e.id for e in late] == [slow_id] and late[0].seq > position
    engine.dispose()


# --- webhooks ------------------------------------------------------------------------------------------------


def test_events_arrive_signed_filtered_masked_and_in_order(database_url, receiver):
    engine = migrated(database_url)
    endpoint_id, secret = add_endpoint(engine, receiver.url)
    receiver.secret = secret
    logins = Receiver()
    _, logins.secret = add_endpoint(engine, logins.url, types="login.*", full_mobile=True)
    ids = commit_events(
        engine,
        [
            ("user.registered", 1),
            ("captcha.issued", None),
            ("login.failed", 1),
            ("admin.user_locked", 1),
            ("login.succeeded", 2),
            ("api_key.used", None),
        ],
    )
    relay = make_relay(engine, types=EXPORTED)
    asyncio.run(drain(relay))
    asyncio.run(relay.close())
    assert receiver.bad_signatures == 0 and logins.bad_signatures == 0  # verified with standardwebhooks
    mine = [r for r in receiver.received if int(r.webhook_id) in ids]  # (the second endpoint's webhook.added too)
    assert_per_user_order(mine, [ids[0], ids[2], ids[3], ids[4]])  # noise stays in; unknown types go out too
    first = next(r for r in mine if r.webhook_id == str(ids[0]))
    assert first.body["type"] == "user.registered" and first.body["mobile_masked"] == "138****8000"
    assert "13800138000" not in str(first.body) and first.headers["webhook-id"] == str(ids[0])
    assert sorted(logins.ids()) == [ids[2], ids[4]] and logins.received[0].body["mobile"] == "13800138000"
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(webhook_deliveries)).scalar() == 0
    assert endpoint_row(engine, endpoint_id).last_success_at is not None
    logins.close()
    engine.dispose()


def test_a_receiver_down_for_minutes_gets_everything_once_per_id_in_per_user_order(database_url, receiver):
    engine = migrated(database_url)
    _, receiver.secret = add_endpoint(engine, receiver.url)
    clock = Clock()
    relay = make_relay(engine, clock=clock, batch_size=40)
    receiver.mode = "down"
    specs = [("login.failed", user) for _ in range(8) for user in (1, 2, 3, 4, 5)] + [("sms_code.sent", None)] * 5
    ids = commit_events(engine, specs)

    async def scenario():
        for _ in range(10):  # ten minutes of a dead receiver, a round every simulated minute
            await drain(relay)
            clock.advance(minutes=1)
        assert receiver.received == [] and receiver.refused > 0
        receiver.mode = "flaky-ack"  # it takes them in but answers 500: the relay must send them again
        clock.advance(hours=1)
        await drain(relay)
        assert receiver.received
        receiver.mode = "up"
        for _ in range(100):
            clock.advance(minutes=5)
            await drain(relay)
            if set(receiver.ids()) == set(ids):
                break
        await relay.close()

    asyncio.run(scenario())
    assert_per_user_order(receiver.received, ids)
    assert len(receiver.ids()) > len(ids)  # some came twice, always with the same id and body
    engine.dispose()


def test_a_failing_event_holds_back_that_users_later_events_only(database_url, receiver):
    engine = migrated(database_url)
    add_endpoint(engine, receiver.url)
    clock = Clock()
    relay = make_relay(engine, clock=clock, retry=RetryRule(give_up_after=timedelta(hours=24)))
    poison = commit_events(engine, [("login.failed", 1)])[0]
    later = commit_events(engine, [("login.succeeded", 1), ("login.failed", 2), ("login.succeeded", 2)])
    receiver.refuse = lambda body: body["id"] == poison

    async def scenario():
        await drain(relay)
        assert receiver.ids() == later[1:]  # user 2 is not held back by user 1's failing event
        for _ in range(40):  # a day passes: the retries end, the delivery is marked failed
            clock.advance(hours=1)
            await drain(relay)
        assert receiver.ids() == later[1:] + later[:1]  # then user 1's later event goes
        with engine.connect() as connection:
            status = connection.execute(select(webhook_deliveries.c.status, webhook_deliveries.c.attempts)).all()
        assert [s for s, _ in status] == ["failed"] and status[0][1] > 10
        receiver.refuse = lambda body: False
        assert replay(engine) == 1  # `accounts webhooks replay`
        await drain(relay)
        await relay.close()

    asyncio.run(scenario())
    assert receiver.ids()[-1] == poison
    engine.dispose()


def test_private_targets_are_refused_at_delivery_time_too(database_url, receiver, monkeypatch):
    engine = migrated(database_url)
    by_ip, _ = add_endpoint(engine, receiver.url)
    by_name, _ = add_endpoint(engine, receiver.url.replace("127.0.0.1", "localhost"))
    by_nat64, _ = add_endpoint(engine, receiver.url.replace("127.0.0.1", "[64:ff9b::7f00:1]"))
    with engine.begin() as connection:  # as if DNS had pointed elsewhere at add time, or the row was edited
        connection.execute(update(webhook_endpoints).values(allow_private=False))
    commit_events(engine, [("user.registered", 1)])
    relay = make_relay(engine)
    asyncio.run(drain(relay))
    asyncio.run(relay.close())
    assert receiver.received == []
    for endpoint_id in (by_ip, by_name, by_nat64):
        assert endpoint_row(engine, endpoint_id).last_error.startswith("refused:"), endpoint_row(engine, endpoint_id)
    engine.dispose()


# --- one relay at a time --------------------------------------------------------------------------------------


def test_two_relays_at_once_never_deliver_an_event_twice(database_url):
    receiver = Receiver(delay=0.002)
    engine = migrated(database_url)
    add_endpoint(engine, receiver.url)
    relays = [RelayThread(make_relay(migrated(database_url), batch_size=20, poll_interval=0.01)) for _ in range(2)]
    try:
        ids = commit_events(engine, [("login.succeeded", n % 7) for n in range(150)])
        receiver.wait_for(len(ids), timeout=60)
        time.sleep(0.3)  # anything sent twice would have arrived by now
    finally:
        for relay in relays:
            relay.stop()
    assert sorted(receiver.ids()) == sorted(ids)  # each exactly once
    assert_per_user_order(receiver.received, ids)
    receiver.close()
    engine.dispose()


# --- the database goes away ------------------------------------------------------------------------------------


def test_a_driver_error_sqlalchemy_lets_through_unwrapped_pauses_the_relay_instead_of_ending_it(database_url, receiver):
    """A connection's set-up (its isolation level, on MariaDB) raises the driver's own error when the server has just
    gone: the relay must wait and go on, as for any lost database, not die with its thread."""
    engine = migrated(database_url)
    add_endpoint(engine, receiver.url)
    relay = make_relay(engine, poll_interval=0.05)
    settle, lost = relay.outbox.settle, []

    def settle_after_losing_the_server_once(*args, **kwargs):
        if not lost:
            lost.append(True)
            raise engine.dialect.loaded_dbapi.OperationalError("Lost connection to the server during query")
        return settle(*args, **kwargs)

    relay.outbox.settle = settle_after_losing_the_server_once
    thread = RelayThread(relay)
    try:
        ids = commit_events(engine, [("user.registered", n) for n in range(3)])
        receiver.wait_for(3, timeout=60)
        assert lost and thread.thread.is_alive()
        assert set(receiver.ids()) >= set(ids)
    finally:
        thread.stop()
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_the_relay_waits_for_the_database_and_resumes(server, receiver):
    direct = server_database(server)
    engine = migrated(direct)
    add_endpoint(engine, receiver.url)
    parsed = make_url(direct)
    proxy = TcpProxy(parsed.host, parsed.port)
    proxy.start()
    via_proxy = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    relay = RelayThread(make_relay(migrated(via_proxy), poll_interval=0.05))
    try:
        first = commit_events(engine, [("user.registered", n) for n in range(10)])
        receiver.wait_for(10)
        proxy.cut()
        second = commit_events(engine, [("login.succeeded", n) for n in range(10)])
        time.sleep(2)  # the relay fails, backs off, keeps trying
        assert set(receiver.ids()) == set(first)
        proxy.start()
        receiver.wait_for(20, timeout=60)
    finally:
        relay.stop()
        proxy.cut()
    assert_per_user_order(receiver.received, first + second)
    engine.dispose()
