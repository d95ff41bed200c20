"""The console's dashboard (and its other reads) on a big PostgreSQL: time per call, in one process.

    python -m tests.benchmarks.dashboard --smoke     # 20,000 users and 100,000 events: seconds, checks it runs
    python -m tests.benchmarks.dashboard             # 1,000,000 users and 5,000,000 events: a few minutes
    python -m tests.benchmarks.dashboard --no-seed --schema benchmark   # on a schema seeded before

`cold` is the first view with nothing rolled up (it counts 29 settled days once and stores them); `warm` is
every later view (the roll-up plus the live day). Target: a warm view under 500 ms. `make bench` runs the same
measurement after loading its big data set and prints it as target 6.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass

from sqlalchemy import text

from domain.console import EventFilter
from domain.events import ClientContext
from domain.operators import Actor, Role

TARGET_MS = 500.0
CLIENT = ClientContext(ip="127.0.0.1", user_agent="bench", request_id="bench")


@dataclass
class ConsoleTiming:
    cold_ms: float
    warm_p50_ms: float
    warm_max_ms: float
    runs: int
    reads_ms: dict[str, float]  # other console reads: median of a few calls each

    @property
    def met(self) -> bool:
        return self.warm_max_ms < TARGET_MS

    def lines(self, label: str) -> list[str]:
        reads = ", ".join(f"{name} {ms:.1f} ms" for name, ms in self.reads_ms.items())
        return [
            f"6. console dashboard {label}: warm p50 {self.warm_p50_ms:.1f} ms, max {self.warm_max_ms:.1f} ms over "
            f"{self.runs} views (cold, nothing rolled up yet: {self.cold_ms:.0f} ms)  (target < {TARGET_MS:.0f} ms)  "
            f"{'MET' if self.met else 'NOT MET'}",
            f"   other console reads: {reads}",
        ]


def _ms(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(database_url: str, runs: int = 20) -> ConsoleTiming:
    """Times the console's use cases on this (migrated, seeded) database, through the composition root."""
    from entrypoints.bootstrap import bootstrap

    services = bootstrap(settings={"DATABASE_URL": database_url, "SECRET_KEY": "bench-console"})
    console, actor = services.admin, Actor(0, "bench", Role.AUDITOR)  # reads need no enrolled operator
    try:
        with services.engine.begin() as connection:
            connection.execute(text("DELETE FROM event_day_counts"))
        cold = _ms(lambda: console.dashboard(actor, CLIENT))
        warm = sorted(_ms(lambda: console.dashboard(actor, CLIENT)) for _ in range(runs))
        reads = {
            "audit log page 1": lambda: console.search_events(actor, EventFilter(), 1, CLIENT),
            "audit log by IP": lambda: console.search_events(actor, EventFilter(ip="10.0.1.2"), 1, CLIENT),
            "audit log by type, page 50": lambda: console.search_events(
                actor, EventFilter(types=("login.failed",)), 50, CLIENT
            ),
            "users page 1": lambda: console.search_users(actor, "", 1, CLIENT),
            "users by mobile prefix": lambda: console.search_users(actor, "1300001", 1, CLIENT),
            "users by nickname prefix": lambda: console.search_users(actor, "用户9999", 1, CLIENT),
            "SMS page": lambda: console.view_sms(actor, 1, CLIENT),
        }
        reads_ms = {name: statistics.median(_ms(call) for _ in range(5)) for name, call in reads.items()}
        return ConsoleTiming(cold, statistics.median(warm), warm[-1], runs, reads_ms)
    finally:
        services.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.migrate import upgrade
    from tests.benchmarks import bigdata
    from tests.benchmarks.run import PG_CONNINFO, PG_URL, pg_admin

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="20,000 users and 100,000 events")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--schema", default=os.environ.get("BENCH_CONSOLE_SCHEMA", "bench_console"))
    parser.add_argument("--no-seed", dest="seed", action="store_false", default=True)
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    users, events = (20_000, 100_000) if args.smoke else (args.users, args.events)
    url = f"{PG_URL}?options=-csearch_path%3D{args.schema}"
    if args.seed:
        pg_admin(f"DROP SCHEMA IF EXISTS {args.schema} CASCADE")
        pg_admin(f"CREATE SCHEMA {args.schema}")
    try:
        if args.seed:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            sessions = users * 5 // 2  # as make bench seeds them; the dashboard itself reads none
            print(
                f"seeding {users:,} users, {events:,} events and {sessions:,} sessions into schema {args.schema}",
                file=sys.stderr,
            )
            bigdata.seed(
                f"{PG_CONNINFO} options=-csearch_path={args.schema}",
                users,
                events,
                sessions,
                log=lambda m: print(m, file=sys.stderr),
            )
        timing = measure(url, args.runs)
        print("\n".join(timing.lines(f"PostgreSQL, {users:,} users + {events:,} events")))
        return 0 if timing.met else 1
    finally:
        if args.seed and not args.keep:
            pg_admin(f"DROP SCHEMA IF EXISTS {args.schema} CASCADE")


if __name__ == "__main__":
    sys.exit(main())
