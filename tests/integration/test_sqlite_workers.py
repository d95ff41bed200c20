"""Several gunicorn workers on one SQLite file under concurrent writes: no "database is locked"."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.servers import Harness, Served

pytestmark = pytest.mark.slow
CLIENTS, ROUNDS = 8, 5  # bounded by count, not time: a busy machine makes it slower, never flaky


def test_four_workers_on_one_sqlite_file(tmp_path):
    config = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "SECRET_KEY": "cdbbe4c889a4f30e2dc36e999e443a3f64059bc2",
        "WTF_CSRF_ENABLED": False,
        "API_RATE_LIMIT": "100000 per minute",
        "RULES": {"sms_per_ip_cap": 100000},
    }
    harness = Harness(tmp_path, config)
    statuses: Counter[int] = Counter()

    def client(n: int) -> None:
        http = requests.Session()
        for i in range(1, ROUNDS + 1):
            mobile = f"13{n}{i:08d}"[:11]

            def captcha() -> dict:
                captcha_uuid = str(uuid.uuid4())
                response = http.get(f"{base}/get_captcha?captcha_uuid={captcha_uuid}", timeout=30)
                statuses[response.status_code] += 1
                return {"captcha": response.text, "captcha_uuid": captcha_uuid}

            def post(path: str, body: dict) -> requests.Response:
                response = http.post(base + path, json=body, timeout=30)
                statuses[response.status_code] += 1
                return response

            if post("/api/send_register_sms", {"mobile": mobile, **captcha()}).status_code != 200:
                continue
            post(
                "/api/register",
                {
                    "nickname": "压测",
                    "mobile": mobile,
                    "vercode": harness.last_code(mobile),
                    "password": "s3cure-Passw0rd",
                    "confirmPassword": "s3cure-Passw0rd",
                    "agreement": True,
                },
            )
            post("/api/login", {"mobile": mobile, "password": "s3cure-Passw0rd", **captcha()})
            post("/api/login", {"mobile": mobile, "password": "wrong-password-1", **captcha()})

    with Served(tmp_path, {**harness.env, "SERVED_CAPTCHA_ECHO": "1"}, workers=4) as served:
        base = served.base
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client, range(1, CLIENTS + 1)))
        log = served.log.read_text()

    print(f"\nstatuses of {ROUNDS} rounds by {CLIENTS} clients on 4 workers: {dict(statuses)}")
    assert "database is locked" not in log
    assert not any(status >= 500 for status in statuses), statuses
    assert statuses[200] > 100  # the load really ran
    assert set(statuses) <= {200, 401}  # 401: the deliberate wrong passwords
