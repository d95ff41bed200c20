"""`make lighthouse`: Lighthouse 12 (npm) with Debian's Chromium on /, /login and /register, mobile and desktop.

Serves the app under gunicorn (entrypoints/gunicorn_conf.py, 2 workers) on a fresh SQLite file, runs Lighthouse
against each page with each preset, prints the scores and checks the targets: accessibility >= 95 and best
practices 100 everywhere, performance >= 90 on mobile (Lighthouse's default: a mid-range phone on slow 4G,
simulated). Not part of `make test`: it takes a few minutes, and the performance score moves with machine load.
Lighthouse is installed on first use into .tools/ (npm); CHROME_PATH defaults to /usr/bin/chromium.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
LIGHTHOUSE_VERSION = "12.8.2"
LIGHTHOUSE = TOOLS / "node_modules" / ".bin" / "lighthouse"
PAGES = ["/", "/login", "/register"]
PRESETS = {"mobile": [], "desktop": ["--preset=desktop"]}
CATEGORIES = ["performance", "accessibility", "best-practices"]
TARGETS = {  # (preset, category) -> the lowest score that passes
    ("mobile", "performance"): 90,
    ("mobile", "accessibility"): 95,
    ("desktop", "accessibility"): 95,
    ("mobile", "best-practices"): 100,
    ("desktop", "best-practices"): 100,
}


def install_lighthouse() -> None:
    if not LIGHTHOUSE.exists():
        TOOLS.mkdir(exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(TOOLS),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            check=True,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'lighthouse.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(32),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "SESSION_COOKIE_SECURE": "0",
        "LOG_JSON": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:entrypoints.gunicorn_conf"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the app did not start within 60 s")


def audit(url: str, preset: str, report: Path) -> dict[str, int]:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            *PRESETS[preset],
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            f"--output-path={report}",
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        env=env,
        check=True,
    )
    categories = json.loads(report.read_text())["categories"]
    return {name: round(categories[name]["score"] * 100) for name in CATEGORIES}


def main() -> int:
    install_lighthouse()
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server = serve(Path(folder), port)
        try:
            print(f"{'page':<10} {'preset':<8} " + " ".join(f"{c:>15}" for c in CATEGORIES))
            for path in PAGES:
                for preset in PRESETS:
                    scores = audit(f"http://127.0.0.1:{port}{path}", preset, Path(folder) / "report.json")
                    print(f"{path:<10} {preset:<8} " + " ".join(f"{scores[c]:>15}" for c in CATEGORIES))
                    failures += [
                        f"{path} {preset} {c}: {scores[c]} < {TARGETS[preset, c]}"
                        for c in CATEGORIES
                        if scores[c] < TARGETS.get((preset, c), 0)
                    ]
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("targets: accessibility >= 95 and best practices 100 (mobile and desktop), performance >= 90 (mobile)")
    print("\n".join(["NOT MET: " + f for f in failures] or ["all targets met"]))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
