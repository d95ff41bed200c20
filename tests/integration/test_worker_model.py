"""The production worker model (entrypoints/gunicorn_conf.py): a request waiting on a slow SMS provider leaves the
worker free for other requests; the password hasher still runs one hash at a time per process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from adapters.passwords import Argon2Hasher
from entrypoints.sms_settings import TEMPLATE_EXAMPLE
from tests.integration.servers import ROOT, Browser, Harness, free_port
from tests.sms_provider_fakes import FakeAliyun

pytestmark = pytest.mark.slow


def test_one_worker_serves_other_requests_while_a_send_waits_on_the_provider(tmp_path):
    harness = Harness(
        tmp_path,
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
            "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
            "AUTO_MIGRATE": True,
            "RATELIMIT_ENABLED": False,
        },
    )
    with_provider, release = threading.Event(), threading.Event()

    def hold_the_send():
        with_provider.set()
        release.wait(30)  # the provider answers only when the test has seen the other requests answered

    with FakeAliyun("LTAI-key", "aliyun-secret-0123456789") as fake:
        fake.on_request = hold_the_send
        port = free_port()
        env = {
            **os.environ,
            **harness.env,
            "SERVED_PROVIDER_SMS": "1",
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "SESSION_COOKIE_SECURE": "0",
            "SMS_PROVIDER": "aliyun",
            "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI-key",
            "ALIYUN_SMS_ACCESS_KEY_SECRET": "aliyun-secret-0123456789",
            "ALIYUN_SMS_SIGN_NAME": "账号服务",
            "ALIYUN_SMS_TEMPLATES": TEMPLATE_EXAMPLE["aliyun"],
            "ALIYUN_SMS_ENDPOINT": fake.url,
            "SMS_TIMEOUT_SECONDS": "20",
        }
        log = (tmp_path / "gunicorn.log").open("w")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:entrypoints.gunicorn_conf",
                "--no-control-socket",
                "tests.integration.served_app:build()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            sender, other = Browser(harness), Browser(harness)
            other.csrf(base)
            with ThreadPoolExecutor(max_workers=1) as pool:
                sending = pool.submit(sender.send_sms, base, "13800138000")
                assert with_provider.wait(30), (tmp_path / "gunicorn.log").read_text()[-2000:]
                try:
                    assert requests.get(base + "/terms", timeout=10).status_code == 200
                    captcha = other.http.get(f"{base}/get_captcha?captcha_uuid={uuid.uuid4()}", timeout=10)
                    assert captcha.status_code == 200
                    assert not sending.done()  # both answered while the send was still with the provider
                finally:
                    release.set()
                assert sending.result(timeout=30).status_code == 200
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()


def test_the_hasher_runs_one_hash_at_a_time_however_many_threads_ask():
    hasher = Argon2Hasher()
    stored = hasher.hash("s3cure-Passw0rd")
    inside, most = 0, 0
    lock = threading.Lock()

    class Counting:
        """argon2's PasswordHasher, counting how many verifies run at once."""

        def __init__(self, real):
            self.real = real

        def verify(self, *args):
            nonlocal inside, most
            with lock:
                inside += 1
                most = max(most, inside)
            try:
                return self.real.verify(*args)
            finally:
                with lock:
                    inside -= 1

    hasher.hasher = Counting(hasher.hasher)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: hasher.verify(stored, "s3cure-Passw0rd"), range(16)))
    assert all(results) and most == 1
