"""A production-sized PostgreSQL: 1,000,000 users and 5,000,000 audit events, loaded with COPY.

Seeded users get mobiles 130xxxxxxxx (the load uses other prefixes) and all share one precomputed argon2
hash: nobody signs in to them; the accounts the load signs in to are registered through the API with their
own hashes. Events are spread over the past year in time order, as an append-only log grows, with the
mix of types a captcha-first sign-up and sign-in flow produces, and point at the seeded users.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

import psycopg

from adapters.passwords import Argon2Hasher

SEED_PREFIX = "130"
CHUNK = 50_000

# (type, share, detail JSON, has user): roughly what the flows write
EVENT_MIX = [
    ("captcha.issued", 0.40, '{{"captcha_id": "{uuid}"}}', False),
    ("sms_code.sent", 0.12, '{{"purpose": "register"}}', False),
    ("sms_code.refused", 0.03, '{{"purpose": "register", "reason": "sms_cooldown"}}', False),
    ("user.registered", 0.05, "{{}}", True),
    ("login.succeeded", 0.25, "{{}}", True),
    ("login.failed", 0.12, '{{"reason": "bad_credentials"}}', True),
    ("user.logged_out", 0.03, "{{}}", True),
]
USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(conninfo: str, users: int = 1_000_000, events: int = 5_000_000, log=print) -> dict[str, float]:
    """COPY the rows in; returns the seconds each step took. The schema must exist (migrated)."""
    timings: dict[str, float] = {}
    rng = random.Random(20261124)
    shared_hash = Argon2Hasher().hash("seeded-account-nobody-signs-in")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    start_of_log = now - timedelta(days=365)

    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '256MB'")
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor:
            with cursor.copy("COPY users (mobile, nickname, password_hash, created_at) FROM STDIN") as copy:
                step = timedelta(days=365) / users
                for first in range(0, users, CHUNK):
                    rows = [
                        f"{SEED_PREFIX}{i:08d}\t用户{i}\t{shared_hash}\t{_ts(start_of_log + step * i)}\n"
                        for i in range(first, min(first + CHUNK, users))
                    ]
                    copy.write("".join(rows))
            low, high, count = cursor.execute(
                "SELECT min(id), max(id), count(*) FROM users WHERE mobile LIKE %s", [SEED_PREFIX + "%"]
            ).fetchone()
        timings["copy users"] = time.perf_counter() - started
        log(f"  {count:,} users in {timings['copy users']:.1f}s")
        assert count == users and high - low + 1 == users, "seeded user ids are not contiguous"

        kinds, weights = zip(*[(kind, share) for kind, share, _, _ in EVENT_MIX])
        templates = {kind: (detail, with_user) for kind, _, detail, with_user in EVENT_MIX}
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor:
            columns = "type, occurred_at, mobile, user_id, ip, user_agent, request_id, detail"
            with cursor.copy(f"COPY audit_events ({columns}) FROM STDIN") as copy:
                step = timedelta(days=365) / events
                for first in range(0, events, CHUNK):
                    size = min(CHUNK, events - first)
                    chosen = rng.choices(kinds, weights, k=size)
                    people = [rng.randrange(users) for _ in range(size)]
                    # one timestamp string per 64 events: 64 events share a ~0.4 s slice of the year
                    stamps = {}
                    rows = []
                    for j in range(size):
                        i = first + j
                        kind = chosen[j]
                        detail, with_user = templates[kind]
                        person = people[j]
                        stamp = stamps.get(i >> 6) or stamps.setdefault(i >> 6, _ts(start_of_log + step * i))
                        user_id = str(low + person) if with_user else "\\N"
                        rows.append(
                            f"{kind}\t{stamp}\t{SEED_PREFIX}{person:08d}\t{user_id}\t10.{person >> 16 & 255}."
                            f"{person >> 8 & 255}.{person & 255}\t{USER_AGENT}\t{i:032x}\t"
                            f"{detail.format(uuid=f'{i:08x}-0000-4000-8000-{person:012x}')}\n"
                        )
                    copy.write("".join(rows))
                    if first and first % 1_000_000 == 0:
                        log(f"  {first:,} events...")
        timings["copy audit_events"] = time.perf_counter() - started
        log(f"  {events:,} audit events in {timings['copy audit_events']:.1f}s")

        started = time.perf_counter()
        connection.execute("VACUUM ANALYZE users")
        connection.execute("VACUUM ANALYZE audit_events")
        # Flush the gigabytes just written now, not in the middle of the measurements that follow.
        connection.execute("CHECKPOINT")
        timings["vacuum analyze"] = time.perf_counter() - started
        sizes = connection.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('users')), pg_size_pretty(pg_total_relation_size('audit_events'))"
        ).fetchone()
        log(f"  vacuum analyze + checkpoint {timings['vacuum analyze']:.1f}s; users {sizes[0]}, audit_events {sizes[1]} with indexes")
    return timings
