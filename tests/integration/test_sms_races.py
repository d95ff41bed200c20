"""The SMS limits under concurrency, over HTTP, on every database: 20 requests at once, each with its own solved
captcha. And a slow provider holds nothing: other requests go on while a send waits on it."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select

from adapters.sqlalchemy.tables import audit_events, sms_challenges
from tests.conftest import ApiClient

pytestmark = pytest.mark.slow
N = 20
MOBILE = "13800138000"


class SlowSms:
    """A provider that waits for `release` when given one, or answers only once `together` sends are with it at the
    same moment (a send that waits alone for 30 s fails, as a provider that timed out)."""

    def __init__(self, together: int | None = None):
        self.release = None
        self.together = threading.Barrier(together, timeout=30) if together else None
        self.sent: list[tuple[str, str, str]] = []
        self.in_flight = threading.Semaphore(0)

    def send_code(self, mobile: str, code: str, purpose: str):
        self.in_flight.release()
        if self.release is not None:
            assert self.release.wait(30), "the test never released the provider"
        if self.together is not None:
            self.together.wait()
        self.sent.append((mobile, code, purpose))

    def last_code(self, mobile: str, purpose: str = "register") -> str:
        return next(code for m, code, p in reversed(self.sent) if m == mobile and p == purpose)


def client(app, sms, captcha, ip: str) -> ApiClient:
    return ApiClient(app, sms, captcha, ip=ip)


def solved_requests(app, sms, captcha, mobiles: list[str], ips: list[str]) -> list[tuple[ApiClient, dict]]:
    """One browser per request, its captcha solved beforehand (one at a time: the renderer remembers the last)."""
    prepared = []
    for mobile, ip in zip(mobiles, ips, strict=False):
        browser = client(app, sms, captcha, ip)
        browser.csrf()
        prepared.append((browser, {"mobile": mobile, **browser.solve_captcha()}))
    return prepared


def fire(prepared: list[tuple[ApiClient, dict]]) -> list[tuple[int, str | None]]:
    """All at once, from N threads: (status, error slug) of each."""
    start = threading.Barrier(len(prepared))

    def one(item):
        browser, body = item
        start.wait()
        response = browser.post("/api/send_register_sms", body)
        return response.status_code, (response.get_json() or {}).get("error")

    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        return list(pool.map(one, prepared))


def count(app, *where) -> int:
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).where(*where)).scalar()
    engine.dispose()
    return value


def statuses(outcomes) -> dict:
    tally: dict = {}
    for outcome in outcomes:
        tally[outcome] = tally.get(outcome, 0) + 1
    return tally


@pytest.fixture
def racing_app(make_app, database_url):
    def make(**rules):
        return make_app(database_url, RATELIMIT_ENABLED=False, RULES=rules)

    return make


def test_racing_requests_for_one_mobile_send_exactly_one_sms(racing_app, sms, captcha):
    app = racing_app()
    ips = [f"198.51.100.{i}" for i in range(N)]  # many addresses: only the per-mobile lock can hold this
    outcomes = fire(solved_requests(app, sms, captcha, [MOBILE] * N, ips))
    assert statuses(outcomes) == {(200, None): 1, (429, "sms_cooldown"): N - 1}
    assert len(sms.sent) == 1
    assert count(app, sms_challenges.c.mobile == MOBILE) == 1
    assert count(app, audit_events.c.type == "sms_code.sent") == 1


def test_racing_requests_for_one_mobile_never_pass_its_daily_cap(racing_app, sms, captcha):
    app = racing_app(sms_cooldown=timedelta(0))  # so that the cap, not the cooldown, is what stops them
    ips = [f"198.51.100.{i}" for i in range(N)]
    outcomes = fire(solved_requests(app, sms, captcha, [MOBILE] * N, ips))
    assert statuses(outcomes) == {(200, None): 10, (429, "sms_limit"): N - 10}
    assert len(sms.sent) == 10


def test_racing_requests_from_one_address_to_one_mobile_stop_at_the_per_address_cap(racing_app, sms, captcha):
    app = racing_app(sms_cooldown=timedelta(0))
    outcomes = fire(solved_requests(app, sms, captcha, [MOBILE] * N, ["203.0.113.9"] * N))
    assert statuses(outcomes) == {(200, None): 5, (429, "sms_limit"): N - 5}
    owner = client(app, sms, captcha, "198.51.100.200")  # the owner, elsewhere, still gets a code today
    assert owner.send_sms(MOBILE).status_code == 200


def test_racing_requests_from_one_address_to_many_mobiles_never_pass_its_cap(racing_app, sms, captcha):
    app = racing_app(sms_per_ip_cap=7)
    mobiles = [f"1390000{i:04d}" for i in range(N)]
    outcomes = fire(solved_requests(app, sms, captcha, mobiles, ["203.0.113.7"] * N))
    assert statuses(outcomes) == {(200, None): 7, (429, "sms_limit"): N - 7}
    assert len(sms.sent) == 7 and count(app, sms_challenges.c.client_ip == "203.0.113.7") == 7


def test_a_slow_provider_holds_no_lock_sends_overlap(make_app, database_url, captcha):
    slow = SlowSms(together=10)  # every send is with the provider at once, or none answers
    from entrypoints.web import create_app

    app = create_app(
        {**make_app(database_url).config, "RATELIMIT_ENABLED": False}, sms_sender=slow, captcha_renderer=captcha
    )
    mobiles = [f"1370000{i:04d}" for i in range(10)]
    prepared = solved_requests(app, slow, captcha, mobiles, [f"198.51.100.{i}" for i in range(10)])
    outcomes = fire(prepared)
    assert statuses(outcomes) == {(200, None): 10}, "the sends waited for each other"


def test_while_a_send_waits_on_the_provider_other_requests_go_on(make_app, database_url, captcha):
    stuck = SlowSms()
    stuck.release = threading.Event()
    from entrypoints.web import create_app

    app = create_app(
        {**make_app(database_url).config, "RATELIMIT_ENABLED": False}, sms_sender=stuck, captcha_renderer=captcha
    )
    [(browser, body)] = solved_requests(app, stuck, captcha, [MOBILE], ["198.51.100.1"])
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(browser.post, "/api/send_register_sms", body)
        assert stuck.in_flight.acquire(timeout=10)  # the send is now with the provider
        try:
            other = client(app, stuck, captcha, "198.51.100.2")
            assert other.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}").status_code == 200  # a write
            again = other.post("/api/send_register_sms", {"mobile": MOBILE, **other.solve_captcha()})
            assert again.status_code == 429 and again.get_json()["error"] == "sms_cooldown"  # refused, not queued
            assert not waiting.done()  # both answered while the send was still with the provider
        finally:
            stuck.release.set()
        assert waiting.result(timeout=30).status_code == 200
