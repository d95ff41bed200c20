"""Two real app processes on one PostgreSQL: every rule holds when requests alternate between them."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.conftest import server_database, unavailable
from tests.integration.servers import Browser, Harness, Served

pytestmark = pytest.mark.slow


def redis_url() -> str:
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {url}", str(exc))
    return url


@pytest.fixture
def two_processes(tmp_path):
    url = server_database("postgresql")
    config = {
        "DATABASE_URL": url,
        "SECRET_KEY": "e7c0d0b0a619e4e17a53078c402ca4e04e8f5600",
        "AUTO_MIGRATE": False,
        "RATELIMIT_STORAGE_URI": redis_url(),
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "API_RATE_LIMIT": "45 per minute",
    }
    harness = Harness(tmp_path, config)
    with Served(tmp_path, harness.env) as a, Served(tmp_path, harness.env) as b:
        assert a.process.pid != b.process.pid
        yield harness, a.base, b.base


def test_rules_hold_across_two_processes(two_processes):
    harness, a, b = two_processes
    user = Browser(harness)

    # SMS cooldown: a send through A blocks the next one through B.
    assert user.send_sms(a, "13800138000").status_code == 200
    cooled = user.send_sms(b, "13800138000")
    assert cooled.status_code == 429 and cooled.json()["error"] == "sms_cooldown"
    assert user.register(b, "13800138000").status_code == 200  # the code sent through A works on B

    # Captcha single use: solved on B, spent once, refused when replayed on A.
    solved = user.captcha(b)
    assert user.post(a, "/api/send_register_sms", {"mobile": "13900139000", **solved}).status_code == 200
    replay = user.post(b, "/api/send_register_sms", {"mobile": "13700137000", **solved})
    assert replay.json()["error"] == "captcha_invalid"

    # Sessions: signed in on A, recognised on B; signed out on B, a copy of the cookie is dead on A.
    assert user.login(a, "13800138000").status_code == 200
    assert "多进程" in user.http.get(b + "/").text
    copied = dict(user.http.cookies)
    assert user.post(b, "/api/logout").status_code == 200
    user.token = None  # the page reloads after 退出, with a fresh session and token
    assert "多进程" not in requests.get(a + "/", cookies=copied, timeout=10).text

    # Failure counts and the lock: five wrong passwords alternating between the two lock the account on both.
    answers = [user.login(a if i % 2 else b, "13800138000", "wrong-password-1").json()["error"] for i in range(5)]
    assert answers == ["bad_credentials"] * 5  # the fifth locks, and says no more than the others
    for base in (a, b):  # the right password, refused on both: the lock holds
        assert user.login(base, "13800138000").json()["error"] == "bad_credentials"


def test_rate_limit_is_shared_through_redis(two_processes):
    harness, a, b = two_processes
    statuses = [
        requests.get(f"{(a, b)[i % 2]}/get_captcha?captcha_uuid={uuid.uuid4()}", timeout=10).status_code
        for i in range(46)
    ]
    assert statuses[:45] == [200] * 45  # 45 per minute per IP, counted across both processes
    assert statuses[45] == 429
