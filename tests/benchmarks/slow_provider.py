"""The slow-provider rows of `make bench`: does a slow SMS provider starve the other requests?

    .venv/bin/python -m tests.benchmarks.slow_provider [--smoke] [--seconds 4] [--rounds 2]
        [--databases sqlite,postgresql] [--worker-class gthread] [--threads 8]

Serves the harness under gunicorn with entrypoints/gunicorn_conf.py (the production worker model; --worker-class
and --threads override it, to compare models), the app building its real Aliyun adapter from SMS_* settings
pointed at a local fake Aliyun (tests/sms_provider_fakes.py) that answers every SendSms after 300 ms. Then, per
database, in rounds: wrk measures GET /get_captcha and POST /api/login (success) without, then with, 4 clients
sending codes in a loop (each with a solved captcha, a new mobile and its own client address). Rounds interleave
the "without" and "with" runs (and swap their order each round) so that other work on a shared machine falls on
both; each round's figures are printed with the median. Targets: captcha and sign-in with the senders running at
least 85% of without; codes sent at least 10/s with 4 clients. --smoke: SQLite, one round of 1 s (checks that the
rows run; the figures mean nothing).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from entrypoints.sms_settings import TEMPLATE_EXAMPLE
from tests.benchmarks import run as bench
from tests.benchmarks.loadgen import Server, line, log, parallel, replay, request
from tests.sms_provider_fakes import FakeAliyun

PROVIDER_DELAY = 0.3  # seconds: a provider's round trip
SENDERS = 4
SCHEMA = "benchmark_sms"  # its own PostgreSQL schema, created and dropped here
KEY_ID, SECRET = "LTAI-bench-key", "bench-secret-not-a-real-one"
ACCOUNTS = 20


def provider_env(fake: FakeAliyun) -> dict[str, str]:
    return {
        "BENCH_PROVIDER_SMS": "1",
        "SMS_PROVIDER": "aliyun",
        "SMS_TIMEOUT_SECONDS": "5",
        "ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID,
        "ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
        "ALIYUN_SMS_SIGN_NAME": "压测",
        "ALIYUN_SMS_TEMPLATES": TEMPLATE_EXAMPLE["aliyun"],
        "ALIYUN_SMS_ENDPOINT": fake.url,
    }


@dataclass
class Figures:
    """One endpoint on one database: requests/s per round, without and with the senders running."""

    without: list[float] = field(default_factory=list)
    with_senders: list[float] = field(default_factory=list)

    def ratios(self) -> list[float]:
        return [w / wo for w, wo in zip(self.with_senders, self.without, strict=False) if wo]


@dataclass
class Result:
    label: str
    captcha: Figures = field(default_factory=Figures)
    login: Figures = field(default_factory=Figures)
    codes_per_second: list[float] = field(default_factory=list)
    send_statuses: dict[int, int] = field(default_factory=dict)
    error: str = ""


class Senders:
    """SENDERS threads, each sending codes one after another from its share of prepared requests, until stopped."""

    def __init__(self, server: Server, bodies: list[tuple[dict, str]]):
        self.server, self.bodies = server, bodies
        self.stopping = threading.Event()
        self.statuses: dict[int, int] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(bodies[i::SENDERS],)) for i in range(SENDERS)]
        self.began = self.ended = 0.0

    def loop(self, share: list[tuple[dict, str]]) -> None:
        for body, ip in share:
            if self.stopping.is_set():
                return
            try:
                status, _ = request(
                    self.server.port, "POST", "/api/send_register_sms", body, {"X-Forwarded-For": ip}, timeout=30
                )
            except OSError:
                status = 0
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
        log("  a sender ran out of prepared requests: prepare more")

    def __enter__(self) -> Senders:
        self.began = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.ended = time.monotonic()
        for thread in self.threads:
            thread.join(timeout=60)
        self.server.served += sum(self.statuses.values())

    def sent_per_second(self) -> float:
        return self.statuses.get(200, 0) / max(1e-9, self.ended - self.began)


def sender_bodies(server: Server, mobiles: bench.Mobiles, seconds: float) -> list[tuple[dict, str]]:
    n = SENDERS * (int(seconds / PROVIDER_DELAY * 1.5) + 5)  # more than 4 clients can send in the window
    captchas = bench.solve_captchas(server, n)
    return [
        (bench.sms_body(m, c), ip) for m, c, ip in zip(mobiles.take(n), captchas, bench.CLIENTS.take(n), strict=False)
    ]


def captcha_lines(seconds: float) -> list[str]:
    return [line("GET", f"/get_captcha?captcha_uuid={uuid.uuid4()}") for _ in range(int(1500 * seconds) + 100)]


def login_lines(server: Server, accounts: list[str], seconds: float) -> list[str]:
    n = int(250 * seconds) + 50
    captchas = bench.solve_captchas(server, n)
    return [
        line("POST", "/api/login", bench.login_body(accounts[i % len(accounts)], bench.PASSWORD, c), ip)
        for i, (c, ip) in enumerate(zip(captchas, bench.CLIENTS.take(n), strict=False))
    ]


def register_accounts(server: Server, fake: FakeAliyun, mobiles: bench.Mobiles) -> list[str]:
    phones = mobiles.take(ACCOUNTS)
    captchas = bench.solve_captchas(server, ACCOUNTS)
    parallel(
        server,
        [
            ("POST", "/api/send_register_sms", bench.sms_body(m, c), {"X-Forwarded-For": ip})
            for m, c, ip in zip(phones, captchas, bench.CLIENTS.take(ACCOUNTS), strict=False)
        ],
        SENDERS,
    )
    codes = dict(fake.codes())
    answers = parallel(
        server,
        [
            ("POST", "/api/register", bench.register_body(m, codes[m]), {"X-Forwarded-For": ip})
            for m, ip in zip(phones, bench.CLIENTS.take(ACCOUNTS), strict=False)
            if m in codes
        ],
        SENDERS,
    )
    registered = [
        m for m, (status, _) in zip([m for m in phones if m in codes], answers, strict=False) if status == 200
    ]
    if not registered:
        raise RuntimeError("no account could be registered through the fake provider")
    return registered


def measure(name: str, url: str, workdir: Path, seconds: float, rounds: int, gunicorn_args: list[str]) -> Result:
    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    workers = bench.default_workers()
    model = " ".join(gunicorn_args) or "entrypoints/gunicorn_conf.py"
    result = Result(f"{name}, {workers} workers, {model}")
    with (
        FakeAliyun(KEY_ID, SECRET, delay=PROVIDER_DELAY) as fake,
        Server(url, workdir, workers, f"sms-{name.lower()}", gunicorn_args, provider_env(fake)) as server,
    ):
        mobiles = bench.Mobiles(7 if name == "SQLite" else 8)
        accounts = register_accounts(server, fake, mobiles)
        for round_ in range(rounds):
            for endpoint, figures in (
                ("GET /get_captcha", result.captcha),
                ("POST /api/login (success)", result.login),
            ):
                order = (False, True) if round_ % 2 == 0 else (True, False)
                for senders_on in order:
                    lines = (
                        captcha_lines(seconds) if endpoint.startswith("GET") else login_lines(server, accounts, seconds)
                    )
                    expected = 200
                    if senders_on:
                        bodies = sender_bodies(server, mobiles, seconds)
                        with Senders(server, bodies) as senders:
                            m = replay(server, f"{endpoint} + senders", lines, seconds, workdir, expected)
                        figures.with_senders.append(m.rps)
                        result.codes_per_second.append(senders.sent_per_second())
                        for status, n in senders.statuses.items():
                            result.send_statuses[status] = result.send_statuses.get(status, 0) + n
                    else:
                        m = replay(server, endpoint, lines, seconds, workdir, expected)
                        figures.without.append(m.rps)
                    tag = "with 4 senders" if senders_on else "alone"
                    log(
                        f"{name} round {round_ + 1}: {endpoint} {tag}: {m.rps:,.1f} req/s, p99 {m.p99_ms:.1f} ms "
                        f"[{m.status_text()}]" + (f"; codes {result.codes_per_second[-1]:.1f}/s" if senders_on else "")
                    )
    return result


def measure_all(
    databases: list[str], seconds: float, rounds: int, workdir: Path, gunicorn_args: list[str] | None = None
) -> list[Result]:
    results = []
    for name in databases:
        label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[name]
        try:
            if name == "sqlite":
                url = f"sqlite:///{workdir / 'slow-provider.sqlite3'}"
            else:
                bench.pg_admin(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                bench.pg_admin(f"CREATE SCHEMA {SCHEMA}")
                url = f"{bench.PG_URL}?options=-csearch_path%3D{SCHEMA}"
            log(f"slow provider: {label}")
            results.append(measure(label, url, workdir, seconds, rounds, gunicorn_args or []))
        except Exception as exc:  # noqa: BLE001 - the report says what failed; the rest still runs
            log(f"slow provider {label} failed: {exc}")
            results.append(Result(label, error=str(exc)))
        finally:
            if name == "postgresql":
                try:
                    bench.pg_admin(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                except Exception as exc:  # noqa: BLE001
                    log(f"could not drop schema {SCHEMA}: {exc}")
    return results


def _runs(values: list[float], unit: str = "") -> str:
    shown = ", ".join(f"{v:,.1f}" for v in values)
    return f"{shown} (median {statistics.median(values):,.1f}{unit})" if values else "-"


def report_lines(results: list[Result] | None, seconds: float = 0, rounds: int = 0) -> list[str]:
    if not results:
        return []
    out = [
        "",
        f"Slow SMS provider: a fake Aliyun answering after {PROVIDER_DELAY * 1000:.0f} ms; {SENDERS} clients "
        f"sending codes while wrk (-t2 -c8) measures the endpoint; {rounds} interleaved rounds of {seconds:g} s",
        "(each round's req/s alone, then with the senders; the ratio of medians is the target, the range of the "
        "rounds' ratios shows the noise)",
    ]
    for r in results:
        if r.error:
            out.append(f"  {r.label}: NOT MEASURED: {r.error}")
            continue
        for endpoint, figures in (("GET /get_captcha", r.captcha), ("POST /api/login (success)", r.login)):
            if not figures.without or not figures.with_senders:
                continue
            share = statistics.median(figures.with_senders) / statistics.median(figures.without)
            ratios = figures.ratios()
            out.append(
                f"  {r.label}: {endpoint}: alone {_runs(figures.without)} req/s; with senders "
                f"{_runs(figures.with_senders)} req/s = {share:.1%} (rounds {min(ratios):.0%}-{max(ratios):.0%})"
                f"  (target >= 85%)  {bench.verdict(share >= 0.85)}"
            )
        codes = statistics.median(r.codes_per_second) if r.codes_per_second else 0.0
        statuses = " ".join(f"{s}x{n}" for s, n in sorted(r.send_statuses.items()))
        out.append(
            f"  {r.label}: codes sent with {SENDERS} clients: {_runs(r.codes_per_second, '/s')} "
            f"[{statuses}]  (target >= 10/s)  {bench.verdict(codes >= 10)}"
        )
    return out


def ab_signin(models: list[str], seconds: float, rounds: int, workdir: Path) -> list[str]:
    """Sign-in throughput, no senders, under each worker model: one server per model (SQLite), all started at
    once, measured in turn, the order reversed every round: short interleaved A/B runs for a noisy machine."""
    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.migrate import upgrade

    servers, accounts, figures = {}, {}, {model: [] for model in models}
    cpu_ms = {model: [] for model in models}
    try:
        for i, model in enumerate(models):
            url = f"sqlite:///{workdir / f'ab-{i}.sqlite3'}"
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            kind, _, threads = model.partition(":")
            args = ["-k", kind] + (["--threads", threads] if threads else [])
            servers[model] = Server(url, workdir, bench.default_workers(), f"ab-{i}", args)
            servers[model].start()
            mobiles = bench.Mobiles(7, start=i * 1000)
            phones, captchas = mobiles.take(ACCOUNTS), bench.solve_captchas(servers[model], ACCOUNTS)
            parallel(
                servers[model],
                [
                    ("POST", "/api/send_register_sms", bench.sms_body(m, c), {"X-Forwarded-For": ip})
                    for m, c, ip in zip(phones, captchas, bench.CLIENTS.take(ACCOUNTS), strict=False)
                ],
                SENDERS,
            )
            codes = bench.sms_codes(servers[model], set(phones))
            parallel(
                servers[model], [("POST", "/api/register", bench.register_body(m, codes[m])) for m in codes], SENDERS
            )
            accounts[model] = list(codes)
        for round_ in range(rounds):
            for model in models if round_ % 2 == 0 else list(reversed(models)):
                lines = login_lines(servers[model], accounts[model], seconds)
                before = servers[model].cpu_seconds()
                m = replay(servers[model], "POST /api/login (success)", lines, seconds, workdir, 200)
                figures[model].append(m.rps)
                cpu_ms[model].append((servers[model].cpu_seconds() - before) * 1000 / max(1, m.requests))
                log(
                    f"A/B round {round_ + 1}: {model}: {m.rps:,.1f} sign-ins/s, {cpu_ms[model][-1]:.1f} ms CPU each "
                    f"[{m.status_text()}]"
                )
    finally:
        for server in servers.values():
            server.stop()
    base = models[0]
    out = [f"Sign-in alone (no senders), SQLite, {rounds} interleaved rounds of {seconds:g} s per worker model:"]
    for model in models:
        ratios = [x / b for x, b in zip(figures[model], figures[base], strict=False) if b]
        out.append(
            f"  {model:<15} {_runs(figures[model], ' /s')}; vs {base}: median "
            f"{statistics.median(figures[model]) / statistics.median(figures[base]):.1%}, rounds "
            f"{min(ratios):.0%}-{max(ratios):.0%}"
        )
        out.append(
            f"  {'':<15} worker CPU per sign-in {_runs(cpu_ms[model], ' ms')}; vs {base}: "
            f"{statistics.median(cpu_ms[model]) / statistics.median(cpu_ms[base]):.1%}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--worker-class", help="override the production worker class (sync, gthread, gevent)")
    parser.add_argument("--threads", type=int, help="override the threads per worker (gthread)")
    parser.add_argument("--smoke", action="store_true", help="SQLite, one round of 1 s: checks that it runs")
    parser.add_argument(
        "--ab-signin",
        metavar="MODELS",
        help="instead: sign-in alone under each worker model, interleaved, e.g. sync,gthread:8 (class[:threads])",
    )
    args = parser.parse_args(argv)
    if args.ab_signin:
        workdir = Path(tempfile.mkdtemp(prefix="accounts-ab-"))
        try:
            print("\n".join(ab_signin(args.ab_signin.split(","), args.seconds, args.rounds, workdir)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    if args.smoke:
        args.seconds, args.rounds, args.databases = 1.0, 1, "sqlite"
    gunicorn_args = (["-k", args.worker_class] if args.worker_class else []) + (
        ["--threads", str(args.threads)] if args.threads else []
    )
    workdir = Path(tempfile.mkdtemp(prefix="accounts-slow-provider-"))
    try:
        databases = [d.strip() for d in args.databases.split(",") if d.strip()]
        results = measure_all(databases, args.seconds, args.rounds, workdir, gunicorn_args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(report_lines(results, args.seconds, args.rounds)))
    return 0 if all(not r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
