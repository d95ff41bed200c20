"""Every endpoint under attack: each defence with a test that fails without it. On every database."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.exc import OperationalError

from adapters.sqlalchemy.tables import audit_events, users
from tests.conftest import ApiClient

MOBILE = "13800138000"
PASSWORD = "s3cure-Passw0rd"
INJECTIONS = ["' OR '1'='1", "1; DROP TABLE users; --", '" OR ""="', "13800138000' --", "%' AND 1=1 --"]


@pytest.fixture
def api(make_app, database_url, sms, captcha) -> ApiClient:
    return ApiClient(make_app(database_url), sms, captcha)


def count(api: ApiClient, table, *where) -> int:
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).select_from(table).where(*where)).scalar()
    engine.dispose()
    return value


def signed_in(api: ApiClient) -> bool:
    return api.get("/settings").status_code == 200  # a login-only page: 302 to /login otherwise


# --- sessions --------------------------------------------------------------------------------------


def test_a_tampered_session_cookie_is_refused(api):
    assert api.register(MOBILE).status_code == 200 and api.login(MOBILE).status_code == 200
    assert signed_in(api)
    cookie = api.http.get_cookie("session")
    flipped = cookie.value[:-3] + ("A" if cookie.value[-3] != "A" else "B") + cookie.value[-2:]
    api.http.set_cookie("session", flipped)
    assert not signed_in(api)


def test_a_cookie_signed_with_another_key_is_refused(api, make_app, database_url, sms, captcha):
    assert api.register(MOBILE).status_code == 200
    forger = ApiClient(make_app(database_url, SECRET_KEY="someone-elses-key-0123456789abcdef"), sms, captcha)
    assert forger.login(MOBILE).status_code == 200  # same database, another key: a forged cookie
    api.http.set_cookie("session", forger.http.get_cookie("session").value)
    assert not signed_in(api)


def test_an_old_cookie_after_logout_is_refused(api):
    assert api.register(MOBILE).status_code == 200 and api.login(MOBILE).status_code == 200
    stolen = api.http.get_cookie("session").value
    assert api.post("/api/logout").status_code == 200
    api.http.set_cookie("session", stolen)
    assert not signed_in(api)


def test_an_old_cookie_after_password_change_is_refused_but_this_browser_stays(
    api, make_app, database_url, sms, captcha
):
    assert api.register(MOBILE).status_code == 200 and api.login(MOBILE).status_code == 200
    other_device = ApiClient(api.app, sms, captcha)
    assert other_device.login(MOBILE).status_code == 200 and signed_in(other_device)
    changed = api.post(
        "/api/account/password",
        {"currentPassword": PASSWORD, "password": "n3w-Passw0rd-x", "confirmPassword": "n3w-Passw0rd-x"},
    )
    assert changed.status_code == 200, changed.get_json()
    assert signed_in(api) and not signed_in(other_device)


def test_reset_password_ends_every_session(api, sms, captcha):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert api.register(MOBILE).status_code == 200 and api.login(MOBILE).status_code == 200
        clock.tick(61)  # past the cooldown of the sign-up code
        stranger = ApiClient(api.app, sms, captcha, ip="127.0.0.2")
        _reset_from(stranger, sms)
        assert not signed_in(api)
        assert api.login(MOBILE, password="n3w-Passw0rd-x").status_code == 200


def _reset_from(stranger, sms):
    assert stranger.post("/api/send_reset_sms", {"mobile": MOBILE, **stranger.solve_captcha()}).status_code == 200
    code = sms.last_code(MOBILE, "reset_password")
    assert (
        stranger.post(
            "/api/reset_password",
            {"mobile": MOBILE, "vercode": code, "password": "n3w-Passw0rd-x", "confirmPassword": "n3w-Passw0rd-x"},
        ).status_code
        == 200
    )


def test_a_register_code_does_not_reset_a_password(api, sms):
    assert api.send_sms(MOBILE).status_code == 200
    register_code = sms.last_code(MOBILE)
    assert api.register(MOBILE, code=register_code).status_code == 200
    response = api.post(
        "/api/reset_password",
        {"mobile": MOBILE, "vercode": register_code, "password": "n3w-Passw0rd-x", "confirmPassword": "n3w-Passw0rd-x"},
    )
    assert response.status_code == 400 and response.get_json()["error"] == "sms_code_invalid"


def test_account_apis_need_a_session(api):
    response = api.post("/api/account/nickname", {"nickname": "x"})
    assert response.status_code == 401 and response.get_json()["error"] == "login_required"


# --- input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_injection_strings_are_inert(api, payload):
    assert api.register(MOBILE).status_code == 200
    for path, body in [
        ("/api/send_register_sms", {"mobile": payload, "captcha": payload, "captcha_uuid": payload}),
        ("/api/login", {"mobile": payload, "password": payload, "captcha": payload, "captcha_uuid": payload}),
        ("/api/login", {"mobile": MOBILE, "password": payload, **api.solve_captcha()}),
        (
            "/api/register",
            {
                "nickname": payload,
                "mobile": payload,
                "vercode": payload,
                "password": payload,
                "confirmPassword": payload,
                "agreement": True,
            },
        ),
    ]:
        response = api.post(path, body)
        assert 400 <= response.status_code < 500, (path, response.get_json())
    assert api.get(f"/get_captcha?captcha_uuid={payload}").status_code == 400
    assert count(api, users) == 1
    assert api.login(MOBILE).status_code == 200  # the table and the account are intact


def test_a_two_megabyte_body_gets_413(api):
    response = api.post("/api/login", data=json.dumps({"password": "x" * 2_000_000}), content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "payload_too_large"


@pytest.mark.parametrize(
    ("nickname", "accepted"),
    [
        ("小明😀", True),
        ("👩‍💻", False),
        ("abc\u200fdef", False),
        ("a\u200db", False),
        ("bad\x00name", False),
        ("𠀀𠀁", True),
    ],
)
def test_unicode_in_nicknames_follows_the_stated_rule(api, nickname, accepted):
    """Rule: any printable character, 4-byte ones included; no control or format characters (RTL marks,
    zero-width joiners, NUL). An emoji ZWJ sequence is refused as a whole rather than half-stored."""
    response = api.register(MOBILE, nickname=nickname)
    if accepted:
        assert response.status_code == 200
        assert api.login(MOBILE).status_code == 200
        assert nickname in api.get("/").get_data(as_text=True)  # stored and shown exactly, on every database
    else:
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_nickname"


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("密码😀很长很长的", True),
        ("pass\u200dword-long", True),
        ("with\x00nul-inside", False),
        ("ａｂｃｄ１２３４５", True),
    ],
)
def test_unicode_in_passwords_follows_the_stated_rule(api, password, accepted):
    """Rule: NFKC-normalised, any character but controls (NUL included); 8-128 characters."""
    response = api.register(MOBILE, password=password)
    if not accepted:
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_password"
        return
    assert response.status_code == 200
    assert api.login(MOBILE, password=password).status_code == 200


def test_full_width_password_matches_its_ascii_twin(api):
    assert api.register(MOBILE, password="ａｂｃｄ１２３４５").status_code == 200  # typed with a full-width IME
    assert api.login(MOBILE, password="abcd12345").status_code == 200


def test_nickname_is_escaped_on_every_page(api):
    evil = "<script>x</script>"
    assert api.register(MOBILE, nickname=evil).status_code == 200 and api.login(MOBILE).status_code == 200
    for path in ("/", "/profile", "/settings"):
        page = api.get(path).get_data(as_text=True)
        assert evil not in page and "&lt;script&gt;x&lt;/script&gt;" in page, path


# --- headers and error pages -----------------------------------------------------------------------


def test_security_headers_on_pages_and_api(api):
    for response in (api.get("/login"), api.post("/api/logout")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags(api):
    assert api.register(MOBILE).status_code == 200
    response = api.post("/api/login", {"mobile": MOBILE, "password": PASSWORD, **api.solve_captcha()})
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_errors_show_no_traceback(make_app, sms, captcha):
    app = make_app()
    app.testing = False  # as in production: exceptions become pages, not test failures

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    client = ApiClient(app, sms, captcha)
    for accept in ("text/html", "application/json"):
        response = client.get("/boom", headers={"Accept": accept})
        body = response.get_data(as_text=True)
        assert response.status_code == 500 and "Traceback" not in body and "secret internals" not in body


def test_rate_limit_answers_429_in_the_standard_shape(make_app, sms, captcha):
    client = ApiClient(make_app(API_RATE_LIMIT="3 per minute"), sms, captcha)
    statuses = [
        client.get("/get_captcha?captcha_uuid=0b9f6a4e-3a5b-4a63-9a53-2f6c3c1b1f00").status_code for _ in range(3)
    ]
    limited = client.get("/get_captcha?captcha_uuid=0b9f6a4e-3a5b-4a63-9a53-2f6c3c1b1f00")
    assert statuses == [200] * 3 and limited.status_code == 429
    body = limited.get_json()
    assert body["error"] == "rate_limited" and body["message"] and int(limited.headers["Retry-After"]) > 0


# --- failure injection -----------------------------------------------------------------------------


def fail_statements(api: ApiClient, prefix: str):
    """Make the database refuse any statement starting with prefix, as a crash mid-transaction would."""
    engine = api.app.extensions["services"].engine

    def refuse(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(prefix):
            raise OperationalError(statement, {}, RuntimeError("injected failure"))

    event.listen(engine, "before_cursor_execute", refuse)
    return lambda: event.remove(engine, "before_cursor_execute", refuse)


@pytest.mark.parametrize("statement", ["INSERT INTO USERS", "INSERT INTO AUDIT_EVENTS"], ids=["user", "audit"])
def test_a_failing_write_mid_registration_rolls_back_the_whole_use_case(api, sms, statement):
    assert api.send_sms(MOBILE).status_code == 200
    code = sms.last_code(MOBILE)
    restore = fail_statements(api, statement)
    response = api.register(MOBILE, code=code)
    restore()
    assert response.status_code == 503
    assert count(api, users) == 0  # no change without its event, no event without its change
    assert count(api, audit_events, audit_events.c.type.in_(["user.registered", "registration.refused"])) == 0
    assert api.register(MOBILE, code=code).status_code == 200  # the try was rolled back with the rest


def test_sms_provider_failure_spends_nothing(api, sms):
    sms.fail = True
    response = api.send_sms(MOBILE)
    assert response.status_code == 503 and response.get_json()["error"] == "sms_unavailable"
    assert count(api, audit_events, audit_events.c.type == "sms_code.send_failed") == 1
    sms.fail = False
    assert api.send_sms(MOBILE).status_code == 200  # no cooldown was spent
