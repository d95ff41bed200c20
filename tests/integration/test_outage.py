"""The database goes away and comes back: fast 503s, nothing half-written, recovery without a restart."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.tables import audit_events, users
from tests.conftest import ApiClient, server_database
from tests.integration.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow


def count(url: str, table) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).select_from(table)).scalar()
    engine.dispose()
    return value


@pytest.fixture
def behind_proxy(make_app, sms, captcha):
    """The app on PostgreSQL through a relay the test can cut; yields (client, proxy, direct url)."""
    direct = server_database("postgresql")
    parsed = make_url(direct)
    proxy = TcpProxy(parsed.host, parsed.port or 5432)
    proxy.start()
    via_proxy = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield ApiClient(make_app(via_proxy), sms, captcha), proxy, direct
    proxy.cut()


def test_postgres_outage_gives_fast_503_and_recovers(behind_proxy, sms):
    api, proxy, direct = behind_proxy
    assert api.register("13800138000").status_code == 200
    assert api.send_sms("13900139000").status_code == 200
    code = sms.last_code("13900139000")
    events_before = count(direct, audit_events)

    proxy.cut()
    started = time.monotonic()
    refused = api.register("13900139000", code=code)
    assert refused.status_code == 503 and refused.get_json()["error"] == "service_unavailable"
    assert refused.headers["Retry-After"]
    assert time.monotonic() - started < 10  # fails fast: no hung worker
    assert api.get("/readyz").status_code == 503
    assert api.get("/healthz").status_code == 200  # the process itself is fine
    assert count(direct, users) == 1 and count(direct, audit_events) == events_before  # nothing half-written

    proxy.start()  # the database is back; pooled connections are dead and must be replaced
    assert api.get("/readyz").status_code == 200
    assert api.register("13900139000", code=code).status_code == 200
    assert count(direct, users) == 2


def test_a_page_during_an_outage_is_a_friendly_503(behind_proxy):
    api, proxy, _ = behind_proxy
    assert api.register("13800138000").status_code == 200
    assert api.login("13800138000").status_code == 200
    proxy.cut()
    page = api.get("/", headers={"Accept": "text/html"})  # loading the signed-in user needs the database
    assert page.status_code == 503
    body = page.get_data(as_text=True)
    assert "服务暂时不可用" in body and "Traceback" not in body and "<html" in body.lower()
