"""Where the workers spend their time under load: `.venv/bin/python -m tests.benchmarks.hotpaths [--database postgresql]`.

Serves the harness like the benchmark does, then for each endpoint runs the same wrk load while py-spy
(pip install py-spy) samples every worker, and prints, per endpoint, the share of samples by layer
(argon2, captcha drawing, PNG encoding, SQL driver, SQLAlchemy, Flask/Werkzeug, logging, gunicorn idle)
and the top functions by own time. py-spy slows the workers a little: the figures here are for locating
hot paths, not for the targets; run tests.benchmarks.run for those.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from tests.benchmarks import run as bench
from tests.benchmarks.loadgen import Server, line, log, replay

PY_SPY = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")

# First match from the leaf frame upwards decides the layer of a sample.
LAYERS = [
    ("argon2 (hash/verify)", ("argon2/",)),
    ("PNG encode (Pillow zlib)", ("PngImagePlugin.py", "ImageFile.py")),
    ("captcha drawing (captcha, Pillow)", ("captcha/image.py", "PIL/")),
    ("SQL driver (psycopg / sqlite3 incl. waiting)", ("psycopg/", "sqlite3/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("Alembic", ("alembic/",)),
    ("logging (structlog)", ("structlog/",)),
    ("Jinja2 templates", ("jinja2/",)),
    ("Flask-Login / Flask-WTF / Flask-Limiter", ("flask_login/", "flask_wtf/", "flask_limiter/", "limits/")),
    ("app code (domain, adapters, entrypoints)", ("/domain/", "/adapters/", "/entrypoints/")),
    ("Flask / Werkzeug", ("flask/", "werkzeug/")),
]
IDLE = ("gunicorn/workers/sync.py", "gunicorn/arbiter.py", "selectors.py")


def layer(frames: list[str]) -> str:
    leaf_first = list(reversed(frames))
    if leaf_first and any(marker in leaf_first[0] for marker in IDLE) and "wait" in leaf_first[0]:
        return "idle (waiting for a connection)"
    for frame in leaf_first:
        for name, markers in LAYERS:
            if any(marker in frame for marker in markers):
                return name
    if any("gunicorn/" in frame for frame in frames) and not any("/flask/" in f for f in frames):
        return "gunicorn (accept, parse, respond)"
    return "other (stdlib, interpreter)"


def sample(server: Server, name: str, lines: list[str], seconds: float, workdir: Path, expected: int):
    outputs, spies = [], []
    for pid in server.worker_pids():
        out = workdir / f"spy-{pid}-{uuid.uuid4().hex[:6]}.txt"
        outputs.append(out)
        spies.append(
            subprocess.Popen(
                [
                    PY_SPY,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    f"{int(seconds) + 1}",
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--idle",
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    measurement = replay(server, name, lines, seconds, workdir, expected)
    for spy in spies:
        spy.wait(timeout=seconds + 30)
    stacks: collections.Counter[str] = collections.Counter()
    for out in outputs:
        if out.exists():
            for entry in out.read_text().splitlines():
                stack, _, count = entry.rpartition(" ")
                if stack and count.isdigit():
                    stacks[stack] += int(count)
    return measurement, stacks


def summarize(name: str, measurement, stacks: collections.Counter, top: int = 12) -> list[str]:
    total = sum(stacks.values())
    layers: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for stack, count in stacks.items():
        frames = [frame for frame in stack.split(";") if not frame.startswith(("process ", "thread "))]
        layers[layer(frames)] += count
        if frames:
            own[frames[-1]] += count
    busy = total - layers["idle (waiting for a connection)"]
    out = [
        f"{name}: {measurement.rps:,.1f} req/s under py-spy, p99 {measurement.p99_ms:.1f} ms; {total:,} samples, "
        f"{busy / total:.0%} busy"
        if total
        else f"{name}: no samples (py-spy could not attach?)"
    ]
    for label, count in layers.most_common():
        out.append(f"    {count / total:6.1%}  {label}")
    out.append("    top functions by own time:")
    for frame, count in own.most_common(top):
        out.append(f"    {count / total:6.1%}  {frame[:150]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args(argv)
    if PY_SPY is None:
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="accounts-hotpaths-"))
    report: list[str] = []
    try:
        if args.database == "postgresql":
            bench.pg_admin(f"DROP SCHEMA IF EXISTS {bench.SCHEMA} CASCADE")
            bench.pg_admin(f"CREATE SCHEMA {bench.SCHEMA}")
            url = bench.pg_url()
        else:
            url = f"sqlite:///{workdir / 'hotpaths.sqlite3'}"
        from adapters.sqlalchemy.engine import make_engine
        from adapters.sqlalchemy.migrate import upgrade

        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        with Server(url, workdir, bench.default_workers(), "hotpaths") as server:
            mobiles = bench.Mobiles(5)
            bench.warm_up(server, bench.Mobiles(9))
            secs = args.seconds

            def measure(name, lines, expected=200):
                log(f"profiling {name}")
                report.extend(summarize(name, *sample(server, name, lines, secs, workdir, expected)))

            measure("GET /", [line("GET", "/")] * bench.POOL["GET /"])
            measure(
                "GET /get_captcha",
                [
                    line("GET", f"/get_captcha?captcha_uuid={uuid.uuid4()}")
                    for _ in range(bench.POOL["GET /get_captcha"])
                ],
            )
            phones = mobiles.take(bench.POOL["send_sms"])
            captchas = bench.solve_captchas(server, len(phones))
            measure(
                "POST /api/send_register_sms",
                [
                    line("POST", "/api/send_register_sms", bench.sms_body(m, c))
                    for m, c in zip(phones, captchas, strict=False)
                ],
            )
            codes = bench.sms_codes(server, set(phones))
            ready = [m for m in phones if m in codes][: bench.POOL["register"]]
            measure(
                "POST /api/register", [line("POST", "/api/register", bench.register_body(m, codes[m])) for m in ready]
            )
            accounts = bench.bench_accounts(url, mobiles.prefix)
            captchas = bench.solve_captchas(server, bench.POOL["login"])
            measure(
                "POST /api/login (success)",
                [
                    line("POST", "/api/login", bench.login_body(accounts[i % len(accounts)], bench.PASSWORD, c))
                    for i, c in enumerate(captchas)
                ],
            )
    finally:
        if args.database == "postgresql":
            bench.pg_admin(f"DROP SCHEMA IF EXISTS {bench.SCHEMA} CASCADE")
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"py-spy profiles, {args.database}, gunicorn {bench.default_workers()} workers (entrypoints/gunicorn_conf.py), wrk -t2 -c8"
    )
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
