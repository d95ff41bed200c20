"""The event relay's benchmark: `python -m tests.benchmarks.relay [--smoke]`, also a part of `make bench`.

1. Throughput: N events already committed (1,000 users), one webhook endpoint at a local receiver (aiohttp, in a
   process of its own, answering 204 without verifying), then the relay (in this process) until every event
   has arrived: events/s. The same to JetStream (NATS_URL, default nats://127.0.0.1:4222) with no endpoint:
   events/s until the stream acknowledged the last one.
2. Latency: `accounts relay` running as a process with both sinks while this process commits one event every
   10 ms (100 events/s) for a while; commit-to-delivery p50/p99 per sink (the receiver's arrival time; for
   JetStream, when a subscriber of the subject gets the message).
Targets: >= 1,000 events/s to each sink; p99 <= 1 s at 100 events/s.

Databases: SQLite (a temporary file) and PostgreSQL (a database of its own, created and dropped) when it answers.
`--smoke` runs a few hundred events and a few seconds: it checks that the benchmark works, not the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[2]
NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "356284fc792f56a2af538db6ff7b8a45814a5ff2"  # 32 bytes or more, as the app demands


def log(message: str) -> None:
    print(f"[relay bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the receiver, in a process of its own -------------------------------------------------------------------


def receiver_main(port: int) -> None:
    from aiohttp import web

    arrivals: dict[str, float] = {}

    async def hook(request):
        await request.read()
        arrivals.setdefault(request.headers["webhook-id"], time.time())
        return web.Response(status=204)

    async def stats(request):
        return web.json_response({"count": len(arrivals), "arrivals": arrivals if "full" in request.query else {}})

    async def reset(request):
        arrivals.clear()
        return web.Response(status=204)

    app = web.Application()
    app.add_routes([web.post("/hook", hook), web.get("/stats", stats), web.post("/reset", reset)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class ReceiverProcess:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.relay", "--receiver", str(self.port)],
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the receiver did not start")

    def stats(self, full: bool = False) -> dict:
        url = f"http://127.0.0.1:{self.port}/stats" + ("?full=1" if full else "")
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{self.port}/reset", method="POST"), timeout=10
        ).close()

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)


# --- preparing a database ------------------------------------------------------------------------------------


def prepared(url: str):
    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    return engine


def preload(engine, n: int) -> None:
    """n committed events for 1,000 users, not yet sequenced: what a relay finds after a busy spell."""
    from adapters.sqlalchemy.tables import audit_events

    now = datetime.now(UTC)
    rows = [
        {
            "type": "login.succeeded",
            "occurred_at": now,
            "mobile": f"138{i % 1000:08d}",
            "user_id": i % 1000 + 1,
            "ip": "203.0.113.7",
            "user_agent": "bench",
            "request_id": f"r{i}",
            "detail": {},
        }
        for i in range(n)
    ]
    with engine.begin() as connection:
        for start in range(0, n, 5000):
            connection.execute(insert(audit_events), rows[start : start + 5000])


def clear(engine) -> None:
    from adapters.sqlalchemy.tables import audit_events, relay_positions, webhook_deliveries, webhook_endpoints

    with engine.begin() as connection:
        for table in (webhook_deliveries, webhook_endpoints, audit_events, relay_positions):
            connection.execute(table.delete())


def add_endpoint(engine, url: str) -> None:
    from tests.integration.relay_helpers import add_endpoint as add

    add(engine, url)


def relay_for(engine, nats_stream: str | None = None, prefix: str = ""):
    from adapters.jetstream import JetStreamSink
    from tests.integration.relay_helpers import make_relay

    relay = make_relay(engine, batch_size=500, poll_interval=0.05)
    if nats_stream:
        relay.nats = JetStreamSink(NATS_URL, nats_stream, prefix)
    return relay


async def _delete_stream(name: str) -> None:
    import nats

    connection = await nats.connect(NATS_URL, connect_timeout=2)
    try:
        await connection.jetstream().delete_stream(name)
    except Exception:  # noqa: BLE001 - it may never have been made
        pass
    finally:
        await connection.close()


def nats_answers() -> bool:
    async def probe():
        import nats

        connection = await nats.connect(NATS_URL, connect_timeout=2, allow_reconnect=False)
        await connection.jetstream().account_info()
        await connection.close()

    try:
        asyncio.run(probe())
        return True
    except Exception as exc:  # noqa: BLE001
        log(f"NATS at {NATS_URL} not reachable: {exc}")
        return False


# --- 1. throughput -------------------------------------------------------------------------------------------


def webhook_throughput(engine, receiver: ReceiverProcess, n: int) -> tuple[float, float]:
    """(events/s, the relay's own CPU ms per event: this process's user+sys time over the run)."""
    from entrypoints.relay import run

    clear(engine)
    receiver.reset()
    add_endpoint(engine, receiver.url)
    preload(engine, n)
    relay = relay_for(engine)
    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(run(relay, once=True))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    arrived = receiver.stats()["count"] - 1  # less the endpoint's own webhook.added
    if arrived < n:
        raise RuntimeError(f"only {arrived} of {n} events arrived")
    return n / elapsed, cpu * 1000 / n


def nats_throughput(engine, n: int) -> tuple[float, float]:
    from entrypoints.relay import run

    clear(engine)
    name = f"BENCH_{secrets.token_hex(4)}"
    relay = relay_for(engine, name, f"bench_{name.lower()}.accounts.events")
    relay.outbox.position("nats")
    preload(engine, n)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        asyncio.run(run(relay, once=True))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if relay.outbox.position("nats") < relay.outbox.head() or relay.failed:
            raise RuntimeError("JetStream did not acknowledge every event")
    finally:
        asyncio.run(_delete_stream(name))
    return n / elapsed, cpu * 1000 / n


# --- 2. latency at 100 events/s -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")  # nothing arrived: the target line says NOT MET
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(url: str, engine, receiver: ReceiverProcess, seconds: float, with_nats: bool) -> dict[str, tuple]:
    """{sink: (p50 ms, p99 ms, n)} with `accounts relay` as a process and one commit every 10 ms."""
    from tests.integration.relay_helpers import commit_events

    clear(engine)
    receiver.reset()
    add_endpoint(engine, receiver.url)
    name = f"BENCH_{secrets.token_hex(4)}"
    prefix = f"bench_{name.lower()}.accounts.events"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "LOG_JSON": "1", "RELAY_POLL_INTERVAL": "0.05"}
    if with_nats:
        env.update(NATS_URL=NATS_URL, NATS_STREAM=name, NATS_SUBJECT_PREFIX=prefix)
    committed: dict[str, float] = {}
    nats_arrivals: dict[str, float] = {}
    stop = threading.Event()

    async def subscribe(ready: threading.Event):
        import nats

        connection = await nats.connect(NATS_URL, connect_timeout=2)

        async def arrived(message):
            nats_arrivals.setdefault(message.headers["Nats-Msg-Id"], time.time())

        await connection.subscribe(f"{prefix}.>", cb=arrived)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await connection.close()

    subscriber = None
    if with_nats:
        ready = threading.Event()
        subscriber = threading.Thread(target=lambda: asyncio.run(subscribe(ready)), daemon=True)
        subscriber.start()
        ready.wait(10)
    relay = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "relay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        time.sleep(3)  # the relay is up and idle
        next_at = time.perf_counter()
        for i in range(int(seconds * 100)):
            [event_id] = commit_events(engine, [("login.succeeded", i % 100 + 1)])
            committed[str(event_id)] = time.time()
            next_at += 0.01
            time.sleep(max(0.0, next_at - time.perf_counter()))
        time.sleep(3)  # the last ones arrive
    finally:
        os.killpg(relay.pid, signal.SIGTERM)
        relay.wait(20)
        stop.set()
        if subscriber:
            subscriber.join(10)
        if with_nats:
            asyncio.run(_delete_stream(name))
    results = {}
    arrivals = {"webhook": receiver.stats(full=True)["arrivals"]}
    if with_nats:
        arrivals["JetStream"] = nats_arrivals
    for sink, seen in arrivals.items():
        delays = [(seen[i] - t) * 1000 for i, t in committed.items() if i in seen]
        if len(delays) < len(committed):
            log(f"{sink}: {len(committed) - len(delays)} of {len(committed)} events did not arrive")
        results[sink] = (percentile(delays, 0.5), percentile(delays, 0.99), len(delays), len(committed))
    return results


# --- the report ----------------------------------------------------------------------------------------------


def measure(smoke: bool = False, databases: tuple[str, ...] = ("sqlite", "postgresql")) -> list[str]:
    """Runs everything; returns the report's lines (also used by tests/benchmarks/run.py)."""
    n, seconds = (300, 2.0) if smoke else (20_000, 30.0)
    workdir = Path(tempfile.mkdtemp(prefix="accounts-relay-bench-"))
    with_nats = nats_answers()
    receiver = ReceiverProcess()
    lines = [
        f"Event relay ({'SMOKE: numbers mean nothing' if smoke else 'full'}): {n:,} events preloaded per "
        f"throughput row; latency at 100 events/s for {seconds:g} s; receiver answers 204 without verifying"
    ]
    lines.append(f"{'sink':<12} {'database':<12} {'events/s':>10} {'CPU ms':>7} {'p50 ms':>8} {'p99 ms':>8} {'n':>7}")
    targets = []
    pg_database = f"accounts_relay_bench_{secrets.token_hex(3)}"
    try:
        for database in databases:
            if database == "sqlite":
                url = f"sqlite:///{workdir / 'relay.sqlite3'}"
            else:
                try:
                    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
                    with admin.connect() as connection:
                        connection.execute(text(f"CREATE DATABASE {pg_database}"))
                    admin.dispose()
                except Exception as exc:  # noqa: BLE001
                    lines.append(f"PostgreSQL: not measured ({type(exc).__name__})")
                    continue
                from sqlalchemy.engine import make_url

                url = make_url(PG_URL).set(database=pg_database).render_as_string(hide_password=False)
            label = "SQLite" if database == "sqlite" else "PostgreSQL"
            engine = prepared(url)
            log(f"{label}: webhook throughput, {n:,} events")
            throughputs = {"webhook": webhook_throughput(engine, receiver, n)}
            if with_nats:
                log(f"{label}: JetStream throughput, {n:,} events")
                throughputs["JetStream"] = nats_throughput(engine, n)
            for sink, (rate, cpu_ms) in throughputs.items():
                lines.append(f"{sink:<12} {label:<12} {rate:>10,.0f} {cpu_ms:>7.3f}")
                targets.append(
                    f"relay -> {sink} {label}: {rate:,.0f} events/s  (target >= 1,000)  "
                    f"{'MET' if rate >= 1000 else 'NOT MET'}; the relay's CPU {cpu_ms:.3f} ms per event "
                    f"(target <= 1 ms: one core keeps up with 1,000/s)  {'MET' if cpu_ms <= 1 else 'NOT MET'}"
                )
            log(f"{label}: latency at 100 events/s for {seconds:g} s")
            for sink, (p50, p99, arrived, sent) in latency(url, engine, receiver, seconds, with_nats).items():
                lines.append(
                    f"{sink:<12} {label:<12} {'':>10} {'':>7} {p50:>8.1f} {p99:>8.1f} {arrived:>7}"
                    + ("" if arrived == sent else f"  <-- {sent - arrived} never arrived")
                )
                targets.append(
                    f"relay -> {sink} {label}: commit-to-delivery p99 {p99:.1f} ms at 100 events/s  "
                    f"(target <= 1,000 ms)  {'MET' if p99 <= 1000 and arrived == sent else 'NOT MET'}"
                )
            engine.dispose()
        if not with_nats:
            lines.append(f"JetStream: not measured (no server at {NATS_URL})")
    finally:
        receiver.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        if "postgresql" in databases:
            try:
                admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text(f"DROP DATABASE IF EXISTS {pg_database} WITH (FORCE)"))
                admin.dispose()
            except Exception:  # noqa: BLE001 - nothing was made
                pass
    return lines + ["Targets (relay)"] + targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few hundred events, a few seconds")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receiver:
        receiver_main(args.receiver)
        return 0
    databases = tuple(d.strip() for d in args.databases.split(",") if d.strip())
    print("\n".join(measure(args.smoke, databases)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
