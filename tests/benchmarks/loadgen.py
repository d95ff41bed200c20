"""Serving the harness under gunicorn, driving it with wrk, and a small threaded client for preparing data.

Everything here is loopback-only and bounded: wrk by its duration and by the number of prepared requests,
the client by the number of calls it is given and a per-call timeout.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
GUNICORN = os.environ.get("BENCH_GUNICORN", str(VENV_BIN / "gunicorn"))
WRK = os.environ.get("BENCH_WRK", "/usr/bin/wrk")
HOST = "127.0.0.1"
WRK_THREADS, WRK_CONNECTIONS = 2, 8  # as /work/shared/baseline/measure.sh loads the seed: figures compare
SOLVE = {"X-Bench-Captcha": "text"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # see harness.py: the captcha answer as the body


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- the server ------------------------------------------------------------------------------------


class Server:
    """gunicorn with the production settings (entrypoints/gunicorn_conf.py) serving tests.benchmarks.harness:app
    (or `app`: another WSGI app that keeps the harness's ready-file and served-count conventions, peer_app.py)."""

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        workers: int,
        name: str,
        extra_args: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
        app: str = "tests.benchmarks.harness:app",
    ):
        self.database_url, self.workdir, self.workers, self.name, self.app = database_url, workdir, workers, name, app
        self.extra_args, self.extra_env = extra_args or [], extra_env or {}
        self.port = free_port()
        self.sms_file = workdir / f"sms-{name}.txt"
        self.log_file = workdir / f"server-{name}.log"
        self.ready_file = workdir / f"ready-{name}.txt"
        self.served_dir = workdir / f"served-{name}"
        self.served_dir.mkdir(exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.served = 0  # requests answered, counted by the load generator

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = dict(os.environ)
        env.update(
            BENCH_DATABASE_URL=self.database_url,
            BENCH_SMS_FILE=str(self.sms_file),
            BENCH_READY_FILE=str(self.ready_file),
            BENCH_SERVED_DIR=str(self.served_dir),
            BIND=f"{HOST}:{self.port}",
            WEB_CONCURRENCY=str(self.workers),
        )
        env.update(self.extra_env)
        command = [
            GUNICORN,
            "-c",
            "python:entrypoints.gunicorn_conf",
            "--no-control-socket",
            *self.extra_args,
            self.app,
        ]
        with open(self.log_file, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_file}")
            workers = self.worker_pids()
            if len(workers) == self.workers and set(workers) <= self._ready_pids():
                status, _ = request(self.port, "GET", "/healthz", timeout=5)
                self.served += 1
                if status == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout}s; see {self.log_file}")

    def _ready_pids(self) -> set[int]:
        try:
            return {int(pid) for pid in self.ready_file.read_text().split()}
        except FileNotFoundError:
            return set()

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry))
        return sorted(pids)

    def rss_mib(self) -> dict[int, float]:
        """Resident set size of each worker, from /proc/PID/status."""
        sizes = {}
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1]) / 1024
        return sizes

    def cpu_seconds(self) -> float:
        """User + system CPU time the workers have used so far (all their threads), from /proc/PID/stat. Measured
        around a row, it gives the app's own CPU per request, whatever else (wrk, the database) shares the cores."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return total / CLOCK_TICKS

    def answered(self) -> int:
        """Requests the workers have answered so far, as they count them (harness.ServedCounter)."""
        return sum(
            struct.unpack("Q", path.read_bytes()[:8])[0]
            for path in self.served_dir.glob("served-*")
            if path.stat().st_size >= 8
        )

    def settled(self, timeout: float = 10.0) -> tuple[float, int]:
        """CPU seconds used and requests answered, once the workers have finished what was in flight."""
        deadline, last = time.monotonic() + timeout, (-1.0, -1)
        while True:
            now = (self.cpu_seconds(), self.answered())
            if now == last or time.monotonic() > deadline:
                return now
            last = now
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of master and workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # our own session, started above
            self.process.wait(timeout=10)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- one request, and many on a few threads ---------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict | None = None,
    timeout: float = 30,
    response_headers: dict | None = None,
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        if response_headers is not None:
            response_headers.update((k.lower(), v) for k, v in response.getheaders())
        return response.status, response.read()
    finally:
        connection.close()


def parallel(server: Server, calls: list[tuple], threads: int = 6) -> list[tuple[int, bytes]]:
    """Run (method, path, body, headers) calls on a few threads; results in order."""

    def one(call):
        method, path, body, headers = (list(call) + [None, None])[:4]
        return request(server.port, method, path, body, headers)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(one, calls))
    server.served += len(results)
    return results


# --- wrk ---------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: str = ""
    expected: int = 200
    note: str = ""
    background: float = 0.0  # share of all CPUs busy just before, with our server idle: other work on the machine
    cpu_ms: float = float("nan")  # the workers' own user+sys CPU per request they answered over the row
    answered: int = 0  # requests the workers answered over the row (wrk's count misses those it abandoned at the end)

    @property
    def ok_share(self) -> float:
        return self.statuses.get(self.expected, 0) / self.requests if self.requests else 0.0

    def status_text(self) -> str:
        return " ".join(f"{code}x{n}" for code, n in sorted(self.statuses.items()))


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")


def cpu_busy(seconds: float = 0.5) -> float:
    """Share of all CPUs busy over `seconds` (from /proc/stat)."""

    def sample():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_quiet(max_seconds: float, threshold: float = 0.15) -> float:
    """Wait (at most max_seconds) until the machine is mostly idle; returns the last busy share seen."""
    deadline, busy = time.monotonic() + max_seconds, 0.0
    while max_seconds > 0:
        busy = cpu_busy(2.0)
        if busy < threshold or time.monotonic() > deadline:
            break
        log(f"machine {busy:.0%} busy with other work: waiting (up to {deadline - time.monotonic():.0f}s more)")
    return busy


def replay(
    server: Server, name: str, lines: list[str], seconds: float, workdir: Path, expected: int = 200
) -> Measurement:
    """Send each prepared request line (see line()) once with wrk (-t2 -c8), for at most `seconds`."""
    requests_file = workdir / f"requests-{server.name}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.txt"
    requests_file.write_text("".join(line + "\n" for line in lines))
    background = cpu_busy()
    cpu_before, answered_before = server.settled()
    command = [
        WRK,
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds:g}s",
        "--timeout",
        "20s",
        "--latency",
        "-s",
        str(HERE / "replay.lua"),
        server.base,
        "--",
        str(requests_file),
        str(WRK_THREADS),
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    cpu_after, answered_after = server.settled()
    cpu_used, answered = cpu_after - cpu_before, answered_after - answered_before
    requests_file.unlink()
    result = Measurement(name=name, expected=expected, background=background)
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "STATUS":
            result.statuses[int(parts[1])] = int(parts[2])
        elif parts[0] == "SPAN_US":
            result.seconds = int(parts[1]) / 1e6
        elif parts[0] == "50%":
            result.p50_ms = to_ms(parts[1])
        elif parts[0] == "99%":
            result.p99_ms = to_ms(parts[1])
        elif line.strip().startswith("Socket errors:"):
            result.socket_errors = line.strip()
        elif parts[0] == "EXHAUSTED" and int(parts[1]):
            result.note = "pool ran out" if int(parts[1]) == WRK_THREADS else ""
    result.requests = sum(result.statuses.values())
    result.rps = result.requests / result.seconds if result.seconds else 0.0
    result.cpu_ms = cpu_used * 1000 / answered if answered else float("nan")
    result.answered = answered
    server.served += result.requests
    if not result.requests:
        raise RuntimeError(f"wrk measured nothing for {name}:\n{out}")
    return result


def line(method: str, path: str, body: dict | None = None, client_ip: str = "", cookie: str = "") -> str:
    """One request for replay.lua; client_ip goes out as X-Forwarded-For (the harness trusts one hop)."""
    data = json.dumps(body, separators=(",", ":")) if body is not None else ""
    return f"{method}\t{path}\t{data}\t{client_ip}\t{cookie}"


def client_ip(n: int) -> str:
    """The n-th of 16M distinct client addresses (10.0.0.0/8)."""
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
