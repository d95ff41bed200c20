"""Real app processes under gunicorn on 127.0.0.1, and an HTTP client that behaves like the pages."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """gunicorn running tests/integration/served_app.py; stopped by stop() or as a context manager."""

    def __init__(self, workdir: Path, env: dict, workers: int = 1, args: tuple[str, ...] = ()):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *args,
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "5",
                "tests.integration.served_app:build()",
            ],
            cwd=ROOT,
            # Worker processes over plain HTTP: development unless a test says production (its checks have tests of
            # their own, tests/integration/test_settings.py)
            env={**os.environ, "ACCOUNTS_ENV": "development", **env},
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:  # gunicorn halts if a worker cannot boot
            # Ready when every worker has booted (one answering /healthz says nothing of the others).
            if self.log.read_text().count("Booting worker") >= workers and self._healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-20000:]}")  # every worker's traceback

    def _healthy(self) -> bool:
        try:
            return requests.get(self.base + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:  # not listening yet
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Harness:
    """Files the served app writes its SMS codes and captcha texts to, and the env that points it there."""

    def __init__(self, workdir: Path, config: dict):
        self.sms_file, self.captcha_file = workdir / "sms.jsonl", workdir / "captcha.txt"
        self.sms_file.touch()
        self.env = {
            "SERVED_SMS_FILE": str(self.sms_file),
            "SERVED_CAPTCHA_FILE": str(self.captcha_file),
            "SERVED_CONFIG": json.dumps(config),
        }

    def last_code(self, mobile: str) -> str:
        sent = [json.loads(line) for line in self.sms_file.read_text().splitlines()]
        return [s["code"] for s in sent if s["mobile"] == mobile][-1]


class Browser:
    """One cookie jar, like one browser; each call names the server it goes to."""

    def __init__(self, harness: Harness):
        self.harness = harness
        self.http = requests.Session()
        self.token = None

    def csrf(self, base: str) -> str:
        if self.token is None:
            page = self.http.get(base + "/terms", timeout=10).text
            self.token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        return self.token

    def post(self, base: str, path: str, body: dict | None = None) -> requests.Response:
        return self.http.post(base + path, json=body or {}, headers={"X-CSRFToken": self.csrf(base)}, timeout=30)

    def captcha(self, base: str) -> dict:
        captcha_uuid = str(uuid.uuid4())
        assert self.http.get(f"{base}/get_captcha?captcha_uuid={captcha_uuid}", timeout=10).status_code == 200
        return {"captcha": self.harness.captcha_file.read_text(), "captcha_uuid": captcha_uuid}

    def send_sms(self, base: str, mobile: str) -> requests.Response:
        return self.post(base, "/api/send_register_sms", {"mobile": mobile, **self.captcha(base)})

    def register(self, base: str, mobile: str, password: str = "s3cure-Passw0rd") -> requests.Response:
        return self.post(
            base,
            "/api/register",
            {
                "nickname": "多进程",
                "mobile": mobile,
                "vercode": self.harness.last_code(mobile),
                "password": password,
                "confirmPassword": password,
                "agreement": True,
            },
        )

    def login(self, base: str, mobile: str, password: str = "s3cure-Passw0rd", **extra) -> requests.Response:
        response = self.post(
            base, "/api/login", {"mobile": mobile, "password": password, **self.captcha(base), **extra}
        )
        self.token = None  # a new session brings a new CSRF token
        return response
