"""A production-sized PostgreSQL: 1,000,000 users, 5,000,000 audit events and 2,500,000 sessions, loaded with COPY.

Seeded users get mobiles 130xxxxxxxx (the load uses other prefixes) and all share one precomputed argon2
hash: nobody signs in to them; the accounts the load signs in to are registered through the API with their
own hashes. Events are spread over the past year in time order, as an append-only log grows, with the
mix of types the sign-up and sign-in flows (by password and by SMS code) produce, and point at the seeded users.

Sessions (user_sessions) are what the table holds in a steady state: ended and expired records are purged 30 days
after (Rules.ended_session_retention), so every row is from the past 30 days: most ended (signed out, revoked, ...)
or expired, a tenth live; 2.5 per user on average, spread over the seeded users at random.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

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
    ("login.succeeded", 0.17, '{{"method": "password", "remember": false}}', True),
    ("login.succeeded", 0.08, '{{"method": "sms", "remember": true}}', True),  # 验证码登录
    ("login.failed", 0.12, '{{"reason": "bad_credentials"}}', True),
    ("user.logged_out", 0.03, "{{}}", True),
]
USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
SESSION_AGENTS = [
    USER_AGENT,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
]
# How a session record stands: (share, end_reason or "" for none, live). Live ones have not expired yet.
SESSION_STATES = [
    (0.10, "", True),
    (0.20, "", False),  # expired, never ended: a browser closed, its 12 hours (or 30 days) ran out
    (0.55, "logged_out", False),
    (0.06, "revoked", False),
    (0.04, "signed_out_everywhere", False),
    (0.03, "password_changed", False),
    (0.02, "mobile_changed", False),
]
SESSION_RETENTION = timedelta(days=30)
NULL = "\\N"  # in COPY's text format
EPOCH = datetime(1970, 1, 1)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(
    conninfo: str, users: int = 1_000_000, events: int = 5_000_000, sessions: int = 2_500_000, log=print
) -> dict[str, float]:
    """COPY the rows in; returns the seconds each step took. The schema must exist (migrated)."""
    timings: dict[str, float] = {}
    rng = random.Random(20261124)
    shared_hash = Argon2Hasher().hash("seeded-account-nobody-signs-in")
    now = datetime.now(UTC).replace(tzinfo=None)
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

        weights = [share for _, share, _, _ in EVENT_MIX]
        mix = range(len(EVENT_MIX))
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor, _indexes_built_after(cursor, "audit_events"):
            columns = "type, occurred_at, mobile, user_id, ip, user_agent, request_id, detail"
            with cursor.copy(f"COPY audit_events ({columns}) FROM STDIN") as copy:
                step = timedelta(days=365) / events
                for first in range(0, events, CHUNK):
                    size = min(CHUNK, events - first)
                    chosen = rng.choices(mix, weights, k=size)
                    people = [rng.randrange(users) for _ in range(size)]
                    # one timestamp string per 64 events: 64 events share a ~0.4 s slice of the year
                    stamps = {}
                    rows = []
                    for j in range(size):
                        i = first + j
                        kind, _, detail, with_user = EVENT_MIX[chosen[j]]
                        person = people[j]
                        stamp = stamps.get(i >> 6) or stamps.setdefault(i >> 6, _ts(start_of_log + step * i))
                        user_id = str(low + person) if with_user else NULL
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
        with connection.transaction(), connection.cursor() as cursor, _indexes_built_after(cursor, "user_sessions"):
            _copy_sessions(cursor, rng, low, users, sessions, now)
        timings["copy user_sessions"] = time.perf_counter() - started
        log(f"  {sessions:,} sessions in {timings['copy user_sessions']:.1f}s")

        started = time.perf_counter()
        connection.execute("VACUUM ANALYZE users")
        connection.execute("VACUUM ANALYZE audit_events")
        connection.execute("VACUUM ANALYZE user_sessions")
        # Flush the gigabytes just written now, not in the middle of the measurements that follow.
        connection.execute("CHECKPOINT")
        timings["vacuum analyze"] = time.perf_counter() - started
        sizes = connection.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('users')), pg_size_pretty(pg_total_relation_size('audit_events')),"
            " pg_size_pretty(pg_total_relation_size('user_sessions'))"
        ).fetchone()
        log(
            f"  vacuum analyze + checkpoint {timings['vacuum analyze']:.1f}s; users {sizes[0]}, audit_events {sizes[1]}, "
            f"user_sessions {sizes[2]} with indexes"
        )
    return timings


@contextmanager
def _indexes_built_after(cursor, table: str):
    """The table's secondary indexes and unique constraints dropped for the COPY and made again after, with the
    same names and definitions (read from the catalogue): one sort per index instead of millions of inserts at
    random places in it (the mobiles, ips, session ids and digests are in no order). The primary key stays."""
    constraints = cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    ).fetchall()
    indexes = cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    ).fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        cursor.execute(definition)


def _copy_sessions(cursor, rng: random.Random, low: int, users: int, sessions: int, now: datetime) -> None:
    """SESSION_STATES over the past 30 days. public_id and token_digest are random, as the app's are (a random token;
    an HMAC-SHA256 in hex). Times are whole seconds, formatted from a per-day cache: strftime per field would make
    Python, not PostgreSQL, the slow side of the COPY."""
    weights = [share for share, _, _ in SESSION_STATES]
    columns = (
        "public_id, token_digest, user_id, remember, created_at, expires_at, last_seen_at, ip, user_agent, "
        "ended_at, end_reason"
    )
    retention = int(SESSION_RETENTION.total_seconds())
    end = int((now - EPOCH).total_seconds())
    days: dict[int, str] = {}

    def ts(second: int) -> str:
        day, rest = divmod(second, 86400)
        text = days.get(day) or days.setdefault(day, (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d"))
        return f"{text} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"

    with cursor.copy(f"COPY user_sessions ({columns}) FROM STDIN") as copy:
        for first in range(0, sessions, CHUNK):
            size = min(CHUNK, sessions - first)
            rows = []
            for state in rng.choices(range(len(SESSION_STATES)), weights, k=size):
                _, reason, live = SESSION_STATES[state]
                person = rng.randrange(users)
                remember = rng.random() < 0.6
                lifetime = 30 * 86400 if remember else 12 * 3600
                if live:  # signed in recently enough that it runs yet
                    created = end - int(min(lifetime, retention) * rng.random())
                    stop, ended = end, NULL
                else:  # ended or expired within the retention, so not purged yet
                    stop = end - int(retention * rng.random())
                    created = stop - (int(lifetime * rng.random()) if reason else lifetime)
                    ended = ts(stop) if reason else NULL
                last_seen = created + int((stop - created) * rng.random())
                rows.append(
                    f"{rng.getrandbits(128):032x}\t{rng.getrandbits(256):064x}\t{low + person}\t{'t' if remember else 'f'}\t"
                    f"{ts(created)}\t{ts(created + lifetime)}\t{ts(last_seen)}\t10.{person >> 16 & 255}."
                    f"{person >> 8 & 255}.{person & 255}\t{SESSION_AGENTS[person % len(SESSION_AGENTS)]}\t{ended}\t"
                    f"{reason or NULL}\n"
                )
            copy.write("".join(rows))
