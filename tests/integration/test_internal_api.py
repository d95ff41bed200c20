"""/api/internal/events and /api/internal/session: API key required, its use audited once a minute per key and tied to
no user, answers as documented."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.outbox import SqlOutbox
from adapters.sqlalchemy.tables import audit_events
from domain.events import ClientContext
from tests.integration.test_openapi import assert_conforms, assert_refusal

MOBILE = "13800138000"
T0 = "2026-12-07 10:00:00"


@pytest.fixture
def setup(make_app, database_url, sms, captcha):
    from tests.conftest import ApiClient

    app = make_app(database_url)
    integrations = app.extensions["services"].integrations
    key = integrations.create_api_key("nginx", ClientContext()).key
    return app, ApiClient(app, sms, captcha), key, make_engine(database_url)


def used(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).where(audit_events.c.type == "api_key.used")).scalar()


def test_without_a_valid_key_neither_endpoint_answers(setup):
    app, c, key, engine = setup
    revoked = app.extensions["services"].integrations.create_api_key("old", ClientContext())
    app.extensions["services"].integrations.revoke_api_key(revoked.id, ClientContext())
    for path in ("/api/internal/events", "/api/internal/session"):
        for headers in (
            {},
            {"Authorization": "Bearer ak_wrong"},
            {"Authorization": key},
            {"Authorization": f"Basic {key}"},
            {"Authorization": f"Bearer {revoked.key}"},
        ):
            assert_refusal("GET", path, c.get(path, headers=headers), 403, "api_key_invalid", None)
    assert used(engine) == 0  # refusals write nothing
    assert c.http.post("/api/internal/events", headers={"Authorization": f"Bearer {key}"}).status_code == 405


@freeze_time(T0)
def test_events_come_in_order_with_next_and_without_noise(setup):
    app, c, key, engine = setup
    auth = {"Authorization": f"Bearer {key}"}
    assert c.register(MOBILE).status_code == 200 and c.login(MOBILE).status_code == 200
    SqlOutbox(engine).sequence(1000)  # the relay's job
    first = assert_conforms("GET", "/api/internal/events", c.get("/api/internal/events?after=0&limit=2", headers=auth))
    types = [e["type"] for e in first["events"]]
    assert types == ["api_key.created", "sms_code.sent"] and first["next"] > 0
    rest = assert_conforms(
        "GET", "/api/internal/events", c.get(f"/api/internal/events?after={first['next']}&limit=1000", headers=auth)
    )
    assert [e["type"] for e in rest["events"]] == ["user.registered", "consent.given", "login.succeeded"]
    assert rest["events"][0]["mobile_masked"] == "138****8000" and MOBILE not in str(rest)
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == sorted(ids)
    empty = c.get(f"/api/internal/events?after={rest['next']}", headers=auth).get_json()
    assert empty == {"events": [], "next": rest["next"]}
    for query in ("after=-1", "limit=0", "limit=1001", "after=x", "limit=1.5", "after=１"):
        assert_refusal(
            "GET",
            "/api/internal/events",
            c.get(f"/api/internal/events?{query}", headers=auth),
            400,
            "invalid_input",
            query.split("=")[0],
        )
    assert used(engine) == 1  # nine admitted calls in one minute: the first is recorded


def test_the_session_check_answers_who_is_signed_in_for_nginx(setup):
    app, c, key, engine = setup
    auth = {"Authorization": f"Bearer {key}"}
    clock = freeze_time(T0)
    ticking = clock.start()
    assert_refusal(
        "GET", "/api/internal/session", c.get("/api/internal/session", headers=auth), 401, "login_required", None
    )
    assert c.register(MOBILE, nickname="小明 😀").status_code == 200 and c.login(MOBILE).status_code == 200
    answer = c.get("/api/internal/session", headers=auth)
    body = assert_conforms("GET", "/api/internal/session", answer)
    assert unquote(answer.headers["X-User-Nickname"]) == "小明 😀" == body["nickname"]
    assert answer.headers["X-User-Id"] == str(body["user_id"])
    with engine.connect() as connection:
        checked = connection.execute(
            select(audit_events.c.user_id, audit_events.c.detail)
            .where(audit_events.c.type == "api_key.used")
            .order_by(audit_events.c.id)
        ).all()
    assert [(u, d["endpoint"]) for u, d in checked] == [(None, "session")]  # once a minute, tied to no user
    ticking.tick(60)
    assert c.get("/api/internal/session", headers=auth).status_code == 200
    assert used(engine) == 2 and user_ids_of_key_use(engine) == {None}
    assert c.post("/api/logout").status_code == 200
    assert c.get("/api/internal/session", headers=auth).status_code == 401
    clock.stop()


def user_ids_of_key_use(engine) -> set:
    with engine.connect() as connection:
        return set(connection.scalars(select(audit_events.c.user_id).where(audit_events.c.type == "api_key.used")))


@freeze_time(T0)
def test_of_twenty_checks_at_once_one_records_the_use(setup):
    app, c, key, engine = setup
    auth = {"Authorization": f"Bearer {key}"}

    def check(_):
        return app.test_client().get("/api/internal/events", headers=auth).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(check, range(20))) == [200] * 20
    assert used(engine) == 1


def test_the_internal_endpoints_are_not_under_the_per_ip_limit(setup):
    """nginx auth_request asks once per page view, all from nginx's address: a per-IP limit would lock everyone
    out. (The app's limit is 30 a minute per endpoint.)"""
    app, c, key, engine = setup
    auth = {"Authorization": f"Bearer {key}"}
    answers = [c.get("/api/internal/session", headers=auth).status_code for _ in range(40)]
    assert answers == [401] * 40
