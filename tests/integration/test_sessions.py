"""Server-side sessions over HTTP, on every database: what the cookie carries, lifetimes fixed at sign-in (also
across `accounts purge`), 记住我, every way out clearing the cookie, 退出 of one session, password change,
退出所有设备, 登录设备管理, the migration."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import create_engine, insert, inspect, select
from sqlalchemy.exc import OperationalError

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import run_alembic, upgrade
from adapters.sqlalchemy.tables import audit_events, user_sessions
from entrypoints import cli
from tests.conftest import ApiClient
from tests.integration.test_account_lifecycle import error_of
from tests.integration.test_openapi import assert_conforms, assert_refusal

MOBILE, OTHER_MOBILE = "13800138000", "13900139000"
PASSWORD, NEW, THIRD = "s3cure-Passw0rd", "n3w-Passw0rd-x", "th1rd-Passw0rd-y"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MINUTE = timedelta(seconds=61)  # past the 60 s between two codes to one mobile
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile "
    "Safari/537.36 MicroMessenger/8.0.50"
)


@pytest.fixture
def api(make_app, database_url, sms, captcha) -> ApiClient:
    return ApiClient(make_app(database_url), sms, captcha)


def browser(api: ApiClient, ip: str = "127.0.0.2", agent: str | None = None) -> ApiClient:
    """Another browser (its own cookie jar) on the same app."""
    other = ApiClient(api.app, api.sms, api.captcha, ip=ip)
    if agent:
        other.environ["HTTP_USER_AGENT"] = agent
    return other


def signed_in(client: ApiClient) -> bool:
    return client.get("/settings").status_code == 200  # a login-only page: 302 to /login otherwise


def login(client: ApiClient, mobile: str = MOBILE, password: str = PASSWORD, remember: bool = False) -> ApiClient:
    response = client.login(mobile, password, remember=remember)
    assert response.status_code == 200, response.get_json()
    return client


def cookie_payload(client: ApiClient) -> dict:
    """What Flask's signed (readable, not encrypted) session cookie holds."""
    return client.app.session_interface.get_signing_serializer(client.app).loads(
        client.http.get_cookie("session").value
    )


def refreshed_copy(client: ApiClient, payload: dict) -> str:
    """The cookie as the app would sign it now: a copy kept fresh, so only the server can refuse it."""
    return client.app.session_interface.get_signing_serializer(client.app).dumps(payload)


def replay(client: ApiClient, cookie: str) -> bool:
    """Is a browser holding only this cookie signed in?"""
    thief = browser(client, ip="203.0.113.66")
    thief.http.set_cookie("session", cookie)
    return signed_in(thief)


def rows(api: ApiClient, table, *where) -> list[dict]:
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        result = [dict(row) for row in connection.execute(select(table).where(*where)).mappings()]
    engine.dispose()
    return result


def change_password(client: ApiClient, current: str, new: str):
    response = client.post(
        "/api/account/password", {"currentPassword": current, "password": new, "confirmPassword": new}
    )
    assert response.status_code == 200, response.get_json()
    client.token = None  # a new session id, and with it a new CSRF token
    return response


def remembered(client: ApiClient) -> bool:
    """Does this browser keep its cookie after it closes (a 记住我 cookie has an expiry)?"""
    return client.http.get_cookie("session").expires is not None


def sms_code(client: ApiClient, path: str, purpose: str, mobile: str = MOBILE) -> str:
    response = client.post(path, {"mobile": mobile, **client.solve_captcha()})
    assert response.status_code == 200, response.get_json()
    return client.sms.last_code(mobile, purpose)


def purge(api: ApiClient, monkeypatch) -> str:
    """`accounts purge` against this app's database."""
    monkeypatch.setenv("DATABASE_URL", api.app.config["DATABASE_URL"])
    cli.engine.cache_clear()
    result = CliRunner().invoke(cli.cli, ["purge"])
    cli.engine.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


# --- what the cookie carries -----------------------------------------------------------------------


def test_the_cookie_carries_only_a_random_session_id_and_the_server_only_its_digest(api):
    assert api.register(MOBILE).status_code == 200
    before = api.csrf()
    login(api, remember=True)
    stale = api.http.post(
        "/api/account/nickname", json={"nickname": "x"}, headers={"X-CSRFToken": before}, environ_base=api.environ
    )
    assert stale.get_json()["error"] == "csrf_invalid"  # a sign-in starts a fresh cookie: nothing carries over
    api.csrf()  # a page: Flask-WTF adds its CSRF secret
    payload = cookie_payload(api)
    assert set(payload) == {"sid", "csrf_token", "_permanent"}, payload  # no user id, epoch, IP hash, freshness
    token = payload["sid"]
    assert len(token) >= 43  # 256 random bits
    [stored] = rows(api, user_sessions)
    assert token not in json.dumps(stored, default=str)  # only a keyed digest of it
    assert len(stored["token_digest"]) == 64 and stored["public_id"] != token
    listed = api.get("/api/account/sessions").get_json()["sessions"]
    assert token not in json.dumps(listed) and listed[0]["id"] == stored["public_id"]


def test_every_sign_in_gets_its_own_session_and_logging_out_one_leaves_the_others(api):
    assert api.register(MOBILE).status_code == 200
    phone, laptop = login(browser(api, "127.0.0.2")), login(browser(api, "127.0.0.3"))
    assert cookie_payload(phone)["sid"] != cookie_payload(laptop)["sid"]
    copy = phone.http.get_cookie("session").value
    assert phone.post("/api/logout").status_code == 200
    assert not signed_in(phone) and not replay(api, copy)
    assert signed_in(laptop)  # the same user's other session carries on
    ended = {row["public_id"]: row["end_reason"] for row in rows(api, user_sessions)}
    assert sorted(ended.values(), key=str) == [None, "logged_out"]
    [logged_out] = rows(api, audit_events, audit_events.c.type == "user.logged_out")
    assert ended[logged_out["detail"]["session"]] == "logged_out"


def test_two_users_get_sessions_of_their_own_and_one_signing_out_leaves_the_other(api):
    """A session id shared between users would sign every device of every user out at once."""
    assert api.register(MOBILE).status_code == 200 and api.register(OTHER_MOBILE).status_code == 200
    alice, bob = login(browser(api, "127.0.0.2")), login(browser(api, "127.0.0.3"), OTHER_MOBILE)
    alice_phone = login(browser(api, "127.0.0.4"))
    ids = {cookie_payload(client)["sid"] for client in (alice, bob, alice_phone)}
    assert len(ids) == 3
    assert alice.post("/api/logout").status_code == 200
    assert not signed_in(alice) and signed_in(bob) and signed_in(alice_phone)
    [bobs] = bob.get("/api/account/sessions").get_json()["sessions"]
    assert bobs["current"] is True


# --- lifetimes fixed at sign-in --------------------------------------------------------------------


def test_a_remembered_session_ends_30_days_after_sign_in_whatever_the_cookie_says_also_after_purge(api, monkeypatch):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE).status_code == 200
        login(api, remember=True)
        api.csrf()  # the page the browser shows right after signing in adds the new CSRF secret
        expires = api.http.get_cookie("session").expires
        for _ in range(29):
            clock.tick(timedelta(days=1))
            assert signed_in(api)  # in use every day
        # The browser's expiry did not slide with the use: it stays 30 days after sign-in.
        assert api.http.get_cookie("session").expires == expires <= T0 + timedelta(days=30, minutes=1)
        payload = cookie_payload(api)
        clock.move_to(T0 + timedelta(days=30) - timedelta(seconds=1))
        assert replay(api, refreshed_copy(api, payload))
        clock.tick(2)
        assert not replay(api, refreshed_copy(api, payload))  # 30 days after sign-in, refreshed or not
        clock.tick(timedelta(days=31))
        assert "user_sessions: 1 removed" in purge(api, monkeypatch)
        assert rows(api, user_sessions) == []
        assert not replay(api, refreshed_copy(api, payload))  # still refused once its record is gone


def test_a_logged_out_session_stays_refused_after_its_record_is_purged(api, monkeypatch):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE).status_code == 200
        login(api, remember=True)
        payload = cookie_payload(api)
        assert api.post("/api/logout").status_code == 200
        assert not replay(api, refreshed_copy(api, payload))
        clock.tick(timedelta(days=29))
        assert "user_sessions: 0 removed" in purge(api, monkeypatch)  # ended rows are kept 30 days
        clock.tick(timedelta(days=2))
        assert "user_sessions: 1 removed" in purge(api, monkeypatch)
        assert not replay(api, refreshed_copy(api, payload))


def test_without_remember_me_the_session_ends_after_12_hours_or_30_quiet_minutes(api):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE).status_code == 200
        login(api)
        assert api.http.get_cookie("session").expires is None  # the cookie ends with the browser
        payload = cookie_payload(api)
        while datetime.now(UTC) + timedelta(minutes=25) < T0 + timedelta(hours=12):
            clock.tick(timedelta(minutes=25))
            assert signed_in(api)
        clock.move_to(T0 + timedelta(hours=12))
        assert not replay(api, refreshed_copy(api, payload))

        quiet = login(browser(api))
        clock.tick(timedelta(minutes=29))
        assert signed_in(quiet)
        clock.tick(timedelta(minutes=30))
        assert not signed_in(quiet)


# --- 记住我 ---------------------------------------------------------------------------------------------


def test_remember_me_is_off_unless_the_box_is_ticked(api):
    assert api.register(MOBILE).status_code == 200
    signed = api.post("/api/login", {"mobile": MOBILE, "password": PASSWORD, **api.solve_captcha()})
    assert signed.status_code == 200 and not remembered(api)


@pytest.mark.parametrize("remember", [True, False], ids=["remember-me", "browser"])
def test_a_remembered_cookie_lives_30_days_from_sign_in_and_a_password_change_keeps_it(api, remember):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE).status_code == 200
        login(api, remember=remember)
        expected = T0 + timedelta(days=30) if remember else None
        assert api.http.get_cookie("session").expires == expected
        clock.tick(timedelta(minutes=10))
        change_password(api, PASSWORD, NEW)  # the browser's new session keeps its 记住我
        assert signed_in(api) and remembered(api) is remember


# What a checkbox may carry (openapi.json: "on", booleans, and for old clients a few more).
CHECKBOX = [
    ("on", True),
    (True, True),
    ("true", True),
    ("1", True),
    (1, True),
    ("off", False),
    (False, False),
    ("false", False),
    ("0", False),
    ("", False),
    (0, False),
    (None, False),
]


def test_remember_me_reads_every_documented_checkbox_value_and_refuses_any_other(api):
    assert api.register(MOBILE).status_code == 200
    for value, ticked in CHECKBOX:
        signed = api.post(
            "/api/login", {"mobile": MOBILE, "password": PASSWORD, "remember": value, **api.solve_captcha()}
        )
        assert signed.status_code == 200 and remembered(api) is ticked, value
        api.token = None
    for value in ("yes", 2, [True], {"on": True}):
        refused = api.post(
            "/api/login", {"mobile": MOBILE, "password": PASSWORD, "remember": value, **api.solve_captcha()}
        )
        body = error_of(refused, 400, "invalid_input")
        assert body["field"] == "remember" and "remember" in body["message"], (value, body)


# --- every way out clears the browser's cookie, not only the record on the server ------------------------------


def test_signing_out_clears_the_cookie(api):
    assert api.register(MOBILE).status_code == 200
    login(api)
    assert api.post("/api/logout").status_code == 200
    assert api.http.get_cookie("session") is None


def test_signing_out_everywhere_clears_this_browsers_cookie(api):
    assert api.register(MOBILE).status_code == 200
    login(api)
    assert api.post("/api/account/sign_out_everywhere").status_code == 200
    assert api.http.get_cookie("session") is None


def test_a_password_reset_in_a_signed_in_browser_signs_it_out(api):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE).status_code == 200
        login(api)
        other = login(browser(api))
        clock.tick(MINUTE)
        code = sms_code(api, "/api/send_reset_sms", "reset_password")
        reset = api.post(
            "/api/reset_password", {"mobile": MOBILE, "vercode": code, "password": NEW, "confirmPassword": NEW}
        )
        assert reset.status_code == 200, reset.get_json()
        assert api.http.get_cookie("session") is None and not signed_in(api) and not signed_in(other)


def test_requesting_deletion_clears_this_browsers_cookie(api):
    assert api.register(MOBILE).status_code == 200
    login(api)
    assert api.post("/api/account/delete", {"currentPassword": PASSWORD}).status_code == 200
    assert api.http.get_cookie("session") is None


def test_signing_out_a_session_that_already_ended_elsewhere_still_answers_and_clears(api):
    assert api.register(MOBILE).status_code == 200
    login(api)
    other = login(browser(api))
    assert other.post("/api/account/sign_out_everywhere").status_code == 200
    assert api.post("/api/logout").status_code == 200
    assert api.http.get_cookie("session") is None


def test_a_cookie_whose_session_id_is_no_string_signs_nobody_in_and_signing_out_still_answers(api):
    """Flask signs whatever the session holds; an id of another type (an older cookie format) is no session."""
    assert api.register(MOBILE).status_code == 200
    login(api)
    odd = browser(api)
    odd.http.set_cookie("session", refreshed_copy(api, {**cookie_payload(api), "sid": 12345}))
    assert not signed_in(odd)
    assert odd.post("/api/logout").status_code == 200
    assert signed_in(api)


# --- password change, 退出所有设备 -------------------------------------------------------------------


@pytest.mark.parametrize("remember", [True, False], ids=["remember-me", "browser"])
def test_a_password_change_keeps_this_browser_and_its_remember_me_and_ends_the_others_every_time(api, remember):
    assert api.register(MOBILE).status_code == 200
    login(api, remember=remember)
    other = login(browser(api), remember=True)
    before = api.http.get_cookie("session").value
    change_password(api, PASSWORD, NEW)
    assert signed_in(api) and not signed_in(other) and not replay(api, before)
    assert cookie_payload(api)["_permanent"] is remember  # 记住我 kept: a 30-day cookie, or a browser one
    assert (api.http.get_cookie("session").expires is not None) is remember
    live = [row for row in rows(api, user_sessions) if row["ended_at"] is None]
    assert [row["remember"] for row in live] == [remember]

    between = login(browser(api, "127.0.0.4"), password=NEW)  # signed in after the first change
    change_password(api, NEW, THIRD)
    assert signed_in(api) and not signed_in(between)


def test_signing_out_everywhere_twice_ends_the_sessions_started_in_between(api):
    assert api.register(MOBILE).status_code == 200
    login(api)
    assert api.post("/api/account/sign_out_everywhere").status_code == 200
    assert not signed_in(api)
    first, second = login(browser(api, "127.0.0.2")), login(browser(api, "127.0.0.3"))
    assert first.post("/api/account/sign_out_everywhere").status_code == 200
    assert not signed_in(first) and not signed_in(second)
    revoked = rows(api, audit_events, audit_events.c.type == "sessions.revoked")
    assert [event["detail"]["ended"] for event in revoked] == [1, 2]


# --- 登录设备管理 ----------------------------------------------------------------------------------


def test_the_devices_list_shows_this_session_first_and_every_other_live_one(api):
    assert api.register(MOBILE).status_code == 200
    laptop = login(browser(api, "127.0.0.5", CHROME_WINDOWS))
    phone = login(browser(api, "127.0.0.6", WECHAT_ANDROID), remember=True)
    login(browser(api, "127.0.0.7")).post("/api/logout")  # ended: not listed
    assert api.register(OTHER_MOBILE).status_code == 200
    login(browser(api, "127.0.0.8"), OTHER_MOBILE)  # another user's: not listed
    assert signed_in(phone)

    response = laptop.get("/api/account/sessions")
    body = assert_conforms("GET", "/api/account/sessions", response)
    assert response.headers["Cache-Control"] == "no-store"
    sessions = body["sessions"]
    assert [(s["current"], s["device"], s["ip"], s["remember"]) for s in sessions] == [
        (True, "Chrome / Windows", "127.0.0.5", False),
        (False, "微信 / Android", "127.0.0.6", True),
    ]
    for session in sessions:
        assert datetime.fromisoformat(session["signed_in_at"]) <= datetime.fromisoformat(session["last_active_at"])
        assert session["id"] not in (cookie_payload(laptop)["sid"], cookie_payload(phone)["sid"])


def test_revoking_another_session_signs_it_out_at_once(api):
    assert api.register(MOBILE).status_code == 200
    login(api)
    other = login(browser(api))
    [theirs] = [s for s in api.get("/api/account/sessions").get_json()["sessions"] if not s["current"]]
    response = api.post(f"/api/account/sessions/{theirs['id']}/revoke")
    assert assert_conforms("POST", "/api/account/sessions/{public_id}/revoke", response)["code"] == 0
    assert not signed_in(other) and signed_in(api)
    assert_refusal("GET", "/api/account/sessions", other.get("/api/account/sessions"), 401, "login_required")
    assert [s["current"] for s in api.get("/api/account/sessions").get_json()["sessions"]] == [True]
    [event] = rows(api, audit_events, audit_events.c.type == "session.revoked")
    assert event["detail"] == {"session": theirs["id"]} and event["mobile"] == MOBILE
    assert [r["end_reason"] for r in rows(api, user_sessions, user_sessions.c.public_id == theirs["id"])] == ["revoked"]


def test_another_users_session_is_refused_like_a_made_up_one(api):
    assert api.register(MOBILE).status_code == 200 and api.register(OTHER_MOBILE).status_code == 200
    login(api)
    stranger = login(browser(api), OTHER_MOBILE)
    [theirs] = stranger.get("/api/account/sessions").get_json()["sessions"]
    path = "/api/account/sessions/{public_id}/revoke"
    foreign = assert_refusal(
        "POST", path, api.post(f"/api/account/sessions/{theirs['id']}/revoke"), 404, "session_not_found", None
    )
    made_up = assert_refusal(
        "POST", path, api.post("/api/account/sessions/AAAAAAAAAAAAAAAAAAAAAA/revoke"), 404, "session_not_found", None
    )
    malformed = api.post("/api/account/sessions/%00%27%20OR%201=1/revoke")
    assert foreign == made_up == assert_refusal("POST", path, malformed, 404, "session_not_found", None)
    assert signed_in(stranger) and rows(api, audit_events, audit_events.c.type == "session.revoked") == []


def test_revoking_this_browsers_own_session_signs_it_out(api):
    assert api.register(MOBILE).status_code == 200
    login(api)
    [mine] = api.get("/api/account/sessions").get_json()["sessions"]
    assert api.post(f"/api/account/sessions/{mine['id']}/revoke").status_code == 200
    assert api.http.get_cookie("session") is None and not signed_in(api)


def test_the_devices_endpoints_need_a_session(api):
    assert_refusal("GET", "/api/account/sessions", api.get("/api/account/sessions"), 401, "login_required", None)
    path = "/api/account/sessions/{public_id}/revoke"
    assert_refusal("POST", path, api.post("/api/account/sessions/AAAA/revoke"), 401, "login_required", None)


# --- failures ----------------------------------------------------------------------------------------


def test_a_database_failure_while_checking_the_session_gives_the_friendly_503_page(client):
    assert client.register(MOBILE).status_code == 200
    login(client)
    services = client.app.extensions["services"]

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))

    object.__setattr__(services, "load_session_user", down)  # a frozen dataclass: swapped for this app only
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "服务暂时不可用" in page.get_data(as_text=True)


def test_upgrading_from_0002_keeps_the_users_and_replaces_the_epoch_and_ended_sessions(database_url):
    from alembic import command
    from sqlalchemy import MetaData, Table

    engine = make_engine(database_url)
    run_alembic(engine, command.downgrade, "base")
    run_alembic(engine, command.upgrade, "0002")
    old_users = Table("users", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(
            insert(old_users).values(
                mobile=MOBILE, nickname="小明", password_hash="h", created_at=T0.replace(tzinfo=None), session_epoch=3
            )
        )
    upgrade(engine)
    inspector = inspect(engine)
    assert "ended_sessions" not in inspector.get_table_names() and "user_sessions" in inspector.get_table_names()
    assert "session_epoch" not in [c["name"] for c in inspector.get_columns("users")]
    new_users = Table("users", MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        assert connection.execute(select(new_users.c.mobile)).scalars().all() == [MOBILE]
    run_alembic(engine, command.downgrade, "0002")
    assert "session_epoch" in [c["name"] for c in inspect(engine).get_columns("users")]
    upgrade(engine)
    engine.dispose()
