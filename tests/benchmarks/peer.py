"""A peer for the sign-in row: a minimal Flask-Security-Too app (peer_app.py), served and loaded as ours is.

    .venv/bin/python -m tests.benchmarks.peer [--smoke] [--seconds 6] [--databases sqlite,postgresql]

Needs the bench extra (`pip install -e '.[dev,bench]'`). Per database (a SQLite file; PostgreSQL in schema
`benchmark_peer`, dropped before and after): creates the peer's tables, seeds USERS users with one password hash
made by the peer itself (argon2 with our parameters: the hash's $argon2id$v=19$m=..,t=..,p=.. prefix and its salt
and digest lengths are checked against one from our adapters.passwords.Argon2Hasher), serves it with gunicorn
and entrypoints/gunicorn_conf.py (our worker model: gthread, one worker per core), warms up, measures in-process
the CPU of one argon2 verify for both (time.process_time, the peer's passlib context and our Argon2Hasher,
interleaved), then replays fresh JSON sign-ins with wrk as run.py does ours. "Beyond the hash" is the workers' CPU
per sign-in less one verify: what the framework, the database and the session cost around argon2.

Alone it also measures our own sign-in row the same way (our harness, captcha solved beforehand, as in run.py),
so the two stand side by side; run.py passes its own row to lines() instead. --smoke: SQLite, 2 s.
"""

from __future__ import annotations

import argparse
import base64
import importlib.metadata
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from adapters.passwords import Argon2Hasher
from tests.benchmarks import micro
from tests.benchmarks import run as bench
from tests.benchmarks.loadgen import Measurement, Server, line, log, parallel, replay

SCHEMA = "benchmark_peer"  # its own PostgreSQL schema, created and dropped here
USERS = 300
SIGNINS = 1_400  # prepared per row: more than either app answers in the window, as run.py's POOL["login"]
APP = "tests.benchmarks.peer_app:app"
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class PeerFigures:
    database: str
    signin: Measurement | None = None  # the peer's POST /login (success) row
    verify_cpu_ms: float = float("nan")  # one argon2 verify in the peer's passlib context, CPU (median)
    our_verify_cpu_ms: float = float("nan")  # one verify with our Argon2Hasher, measured interleaved with it
    hash_prefix: str = ""
    versions: str = ""
    error: str = ""

    @property
    def beyond_hash_ms(self) -> float:
        return self.signin.cpu_ms - self.verify_cpu_ms if self.signin else float("nan")


def versions() -> str:
    return ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("flask-security-too", "flask-sqlalchemy", "libpass", "argon2-cffi")
    )


@contextmanager
def database_url(database: str, workdir: Path, name: str):
    """A SQLite file of its own, or the PostgreSQL schema SCHEMA, dropped before and after."""
    if database == "sqlite":
        yield f"sqlite:///{workdir / f'{name}.sqlite3'}"
        return
    bench.pg_admin(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    bench.pg_admin(f"CREATE SCHEMA {SCHEMA}")
    try:
        yield f"{bench.PG_URL}?options=-csearch_path%3D{SCHEMA}"
    finally:
        try:
            bench.pg_admin(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        except Exception as exc:  # noqa: BLE001 - say so; the figures stand
            log(f"could not drop schema {SCHEMA}: {exc}")


# --- the peer's data and its hash ----------------------------------------------------------------------


def emails(n: int = USERS) -> list[str]:
    return [f"peer{i}@example.com" for i in range(n)]


def seed(url: str):
    """Creates the peer's tables and USERS users sharing one hash made by the peer (hashing each would take
    a minute; one hash or many, a verify costs the same). Returns the app (for its password context) and the hash."""
    from flask_security.utils import hash_password

    from tests.benchmarks.peer_app import User, build, db

    app = build(url)
    with app.app_context():
        db.create_all()
        stored = hash_password(micro.PASSWORD)
        db.session.execute(
            db.insert(User),
            [{"email": e, "password": stored, "active": True, "fs_uniquifier": uuid.uuid4().hex} for e in emails()],
        )
        db.session.commit()
        db.engine.dispose()  # the workers open their own connections
    return app, stored


def stored_hashes(app) -> set[str]:
    from tests.benchmarks.peer_app import User, db

    with app.app_context():
        hashes = set(db.session.execute(db.select(User.password)).scalars())
        db.engine.dispose()
    return hashes


def argon2_settings(encoded: str) -> tuple[str, int, int]:
    """('$argon2id$v=19$m=..,t=..,p=..$', salt bytes, digest bytes) of an encoded argon2 hash."""
    _, variant, version, params, salt, digest = encoded.split("$")

    def length(b64: str) -> int:
        return len(base64.b64decode(b64 + "=" * (-len(b64) % 4)))

    return f"${variant}${version}${params}$", length(salt), length(digest)


def check_parameters(stored: str) -> str:
    """The peer's hash must carry our hasher's parameters, or the comparison means nothing."""
    peer, ours = argon2_settings(stored), argon2_settings(Argon2Hasher().hash(micro.PASSWORD))
    if peer != ours:
        raise RuntimeError(f"the peer hashes with {peer} (prefix, salt, digest bytes), ours with {ours}")
    return f"{peer[0]} salt {peer[1]} B, digest {peer[2]} B"


def verify_cpu_ms(app, stored: str, samples: int = 30) -> tuple[float, float]:
    """CPU (time.process_time) of one verify, median: the peer's passlib context on its HMAC'd password (what its
    sign-in hands to argon2), and our Argon2Hasher, interleaved so that other work on the machine falls on both."""
    from flask_security.utils import get_hmac

    ours = Argon2Hasher()
    our_stored = ours.hash(micro.PASSWORD)
    with app.app_context():
        context, secret = app.security.pwd_context, get_hmac(micro.PASSWORD)
        peer_times, our_times = [], []
        for _ in range(samples + 1):  # the first of each warms up
            start = time.process_time()
            ok = context.verify(secret, stored)
            peer_times.append(time.process_time() - start)
            start = time.process_time()
            ok = ours.verify(our_stored, micro.PASSWORD) and ok
            our_times.append(time.process_time() - start)
            if not ok:
                raise RuntimeError("a verify in the CPU measurement failed")
    return statistics.median(peer_times[1:]) * 1000, statistics.median(our_times[1:]) * 1000


# --- the measurements ---------------------------------------------------------------------------------------


def signin_lines(n: int) -> list[str]:
    users = emails()
    return [line("POST", "/login", {"email": users[i % len(users)], "password": micro.PASSWORD}) for i in range(n)]


def measure(database: str, workdir: Path, seconds: float) -> PeerFigures:
    figures = PeerFigures(LABELS[database], versions=versions())
    try:
        with database_url(database, workdir, "peer") as url:
            app, stored = seed(url)
            figures.hash_prefix = check_parameters(stored)
            with Server(url, workdir, bench.default_workers(), f"peer-{database}", app=APP) as server:
                log(
                    f"peer {figures.database}: Flask-Security-Too under gunicorn ({server.workers} workers), "
                    f"{USERS} users"
                )
                warm = parallel(
                    server, [("POST", "/login", {"email": e, "password": micro.PASSWORD}) for e in emails(40)], 4
                )
                if any(status != 200 for status, _ in warm):
                    raise RuntimeError(f"peer sign-ins refused in the warm-up: {warm[0]}")
                if stored_hashes(app) != {stored}:
                    raise RuntimeError("the peer rehashed at sign-in: its argon2 settings differ from the stored hash")
                figures.verify_cpu_ms, figures.our_verify_cpu_ms = verify_cpu_ms(app, stored)
                log(f"  verify CPU: peer {figures.verify_cpu_ms:.2f} ms, ours {figures.our_verify_cpu_ms:.2f} ms")
                m = figures.signin = replay(server, "POST /login (peer)", signin_lines(SIGNINS), seconds, workdir)
                log(
                    f"  {m.rps:,.1f} req/s  p50 {m.p50_ms:.2f} ms  p99 {m.p99_ms:.2f} ms  CPU {m.cpu_ms:.2f} ms/req "
                    f"({m.answered} answered)  [{m.status_text()}]"
                )
    except ModuleNotFoundError as exc:
        figures.error = f"{exc}: the bench extra is not installed (pip install -e '.[dev,bench]')"
        log(f"peer {LABELS[database]}: {figures.error}")
    except Exception as exc:  # noqa: BLE001 - the report says what failed; the rest of the run still stands
        log(f"peer {LABELS[database]} failed: {exc}")
        figures.error = str(exc)
    return figures


def measure_ours(database: str, workdir: Path, seconds: float) -> Measurement:
    """Our sign-in row as run.py takes it (alone, so that the peer has a neighbour in the same run)."""
    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.migrate import upgrade

    with database_url(database, workdir, "ours") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        with Server(url, workdir, bench.default_workers(), f"ours-{database}") as server:
            mobiles = bench.Mobiles(9)
            bench.warm_up(server, mobiles)  # registers 10 accounts, signs each in
            accounts = bench.bench_accounts(url, mobiles.prefix)
            captchas = bench.solve_captchas(server, SIGNINS)
            ips = bench.CLIENTS.take(SIGNINS)
            m = replay(
                server,
                "POST /api/login (success)",
                [
                    line(
                        "POST",
                        "/api/login",
                        bench.login_body(accounts[i % len(accounts)], micro.PASSWORD, captchas[i]),
                        ips[i],
                    )
                    for i in range(SIGNINS)
                ],
                seconds,
                workdir,
            )
            log(f"ours {LABELS[database]}: {m.rps:,.1f} req/s  CPU {m.cpu_ms:.2f} ms/req  [{m.status_text()}]")
            return m


def lines(figures: list[PeerFigures], ours: dict[str, Measurement] | None = None) -> list[str]:
    """The report's paragraph; `ours`: our POST /api/login (success) row per database label, when measured."""
    if not figures:
        return []
    first = next((f for f in figures if f.hash_prefix), figures[0])
    out = [
        "",
        f"Peer: a minimal Flask-Security-Too app (tests/benchmarks/peer_app.py; {first.versions}), JSON "
        "POST /login {email, password}, CSRF off as ours,",
        "      its default HMAC-SHA512 pre-hash with SECURITY_PASSWORD_SALT kept, argon2 with our parameters "
        f"({first.hash_prefix or 'not checked'}),",
        "      fsqla_v3 models through Flask-SQLAlchemy, served and loaded as ours (same gunicorn config, wrk "
        "replay, fresh request each)",
        "      verify CPU: one argon2 verify in-process (time.process_time, median, the two interleaved); "
        "beyond the hash = CPU per sign-in - verify CPU",
        f"  {'sign-in':<30} {'database':<11} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7} {'verify':>7} "
        f"{'beyond':>7} {'n':>6}  statuses",
    ]
    for f in figures:
        if f.error:
            out.append(f"  {'POST /login (peer)':<30} {f.database:<11} NOT MEASURED: {f.error}")
            continue
        rows = [("POST /login (peer)", f.signin, f.verify_cpu_ms)]
        if ours and ours.get(f.database):
            rows.append(("POST /api/login (ours)", ours[f.database], f.our_verify_cpu_ms))
        for name, m, verify in rows:
            out.append(
                f"  {name:<30} {f.database:<11} {m.rps:>8,.1f} {m.p50_ms:>7.2f} {m.p99_ms:>7.2f} "
                f"{m.cpu_ms:>7.2f} {verify:>7.2f} {m.cpu_ms - verify:>7.2f} {m.requests:>6}  {m.status_text()}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--smoke", action="store_true", help="SQLite, 2 s: checks that it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.databases = 2.0, "sqlite"
    workdir = Path(tempfile.mkdtemp(prefix="accounts-peer-"))
    figures, ours = [], {}
    try:
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            figures.append(measure(database, workdir, args.seconds))
            ours[LABELS[database]] = measure_ours(database, workdir, args.seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(lines(figures, ours)))
    return 0 if all(not f.error for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
