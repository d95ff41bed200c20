"""Every endpoint under attack: each defence with a test that fails without it. On every database."""

from __future__ import annotations

import json
import uuid

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.exc import OperationalError

from adapters.passwords import Argon2Hasher
from adapters.sqlalchemy.tables import audit_events, captcha_challenges, users
from entrypoints.settings import InvalidSetting
from tests.conftest import ApiClient

MOBILE, OTHER_MOBILE = "13800138000", "13900139000"
PASSWORD, NEW_PASSWORD = "s3cure-Passw0rd", "n3w-Passw0rd-x"
OWNER_IP, ATTACKER_IP = "198.51.100.1", "203.0.113.9"
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


@pytest.fixture
def owner(api) -> ApiClient:
    return ApiClient(api.app, api.sms, api.captcha, ip=OWNER_IP)


@pytest.fixture
def attacker(api) -> ApiClient:
    return ApiClient(api.app, api.sms, api.captcha, ip=ATTACKER_IP)


def reset(client: ApiClient, code: str, password: str = NEW_PASSWORD):
    response = client.post(
        "/api/reset_password", {"mobile": MOBILE, "vercode": code, "password": password, "confirmPassword": password}
    )
    client.token = None  # a reset ends this browser's session, and with it the CSRF token
    return response


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
    forger = ApiClient(make_app(database_url, SECRET_KEY="3e9ba9b17e0b5b9f1c056de02f43a7d7b776a086"), sms, captcha)
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


# --- one address cannot keep the owner out ---------------------------------------------------------


def test_an_attacker_can_neither_kill_the_owners_reset_code_nor_keep_the_lock(owner, attacker, sms):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert owner.register(MOBILE).status_code == 200
        answers = [attacker.login(MOBILE, "wrong-password-1").get_json()["error"] for _ in range(5)]
        assert answers[-1] == "bad_credentials"  # the fifth locks the account; the sign-in form does not say so
        clock.tick(61)  # past the cooldown of the sign-up code
        sent = owner.post("/api/send_reset_sms", {"mobile": MOBILE, **owner.solve_captcha()})
        assert sent.status_code == 200, sent.get_json()
        code = sms.last_code(MOBILE, "reset_password")
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(10):  # the attacker guesses at the owner's fresh code
            assert reset(attacker, wrong, "attackers-Passw0rd").get_json()["error"] == "sms_code_invalid"
        assert reset(attacker, code, "attackers-Passw0rd").get_json()["error"] == "sms_code_invalid"  # out of tries
        assert reset(owner, code).status_code == 200
        assert owner.login(MOBILE, NEW_PASSWORD).status_code == 200  # at once: the reset lifted the lock


def test_wrong_codes_from_many_addresses_still_kill_the_code(api, owner, sms, captcha):
    assert owner.send_sms(MOBILE).status_code == 200
    code = sms.last_code(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for n in range(4):  # 4 addresses x 5 tries: the overall limit of 20
        guesser = ApiClient(api.app, sms, captcha, ip=f"203.0.113.{n + 10}")
        for _ in range(5):
            assert guesser.register(MOBILE, code=wrong).get_json()["error"] == "sms_code_invalid"
    assert owner.register(MOBILE, code=code).get_json()["error"] == "sms_code_invalid"


def test_wrong_current_passwords_lock_the_account_like_failed_sign_ins(owner, attacker):
    """设置's password change must not be a way around the sign-in lockout."""
    assert owner.register(MOBILE).status_code == 200 and owner.login(MOBILE).status_code == 200

    def change(current: str):
        return owner.post(
            "/api/account/password",
            {"currentPassword": current, "password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD},
        )

    answers = [change(f"guess-{n}").get_json()["error"] for n in range(5)]
    assert answers == ["current_password_invalid"] * 4 + ["account_locked"]
    locked = change(PASSWORD)  # the right one, too late
    assert locked.status_code == 423 and locked.get_json()["error"] == "account_locked"
    assert int(locked.headers["Retry-After"]) > 0
    # The sign-in form answers the lock as a wrong password: the right one is refused too.
    assert attacker.login(MOBILE).get_json()["error"] == "bad_credentials"
    assert owner.login(MOBILE, NEW_PASSWORD).get_json()["error"] == "bad_credentials"  # nothing was changed


# --- argon2 is spent only on a right code -----------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password argon2 hashes from now on."""
    hashed: list[str] = []
    real = Argon2Hasher.hash

    def counting(self, password: str) -> str:
        hashed.append(password)
        return real(self, password)

    monkeypatch.setattr(Argon2Hasher, "hash", counting)
    return hashed


def test_wrong_codes_cost_no_argon2_in_register_and_reset(owner, attacker, hashes):
    assert owner.register(MOBILE).status_code == 200
    hashes.clear()
    assert attacker.register(OTHER_MOBILE, code="123456").status_code == 400
    assert reset(attacker, "123456").status_code == 400
    assert hashes == []


# --- other sites cannot load our captcha ------------------------------------------------------------


def captcha_load(client: ApiClient, **headers):
    return client.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}", headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"},
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "image"},
        {"Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "image"},
        {"Referer": "https://evil.example/page"},  # a browser without fetch metadata
        {"Origin": "null"},
        {"Referer": "http://localhost.evil.example/"},
    ],
    ids=["cross-site", "same-site", "none-image", "referer", "origin-null", "lookalike-host"],
)
def test_cross_site_captcha_loads_are_refused_before_they_spend_anything(make_app, sms, captcha, headers):
    api = ApiClient(make_app(API_RATE_LIMIT="3 per minute"), sms, captcha)
    for _ in range(5):
        refused = captcha_load(api, **headers)
        assert refused.status_code == 403 and refused.get_json()["error"] == "cross_site_request"
    assert count(api, captcha_challenges) == 0
    assert [captcha_load(api, **{"Sec-Fetch-Site": "same-origin"}).status_code for _ in range(3)] == [200] * 3


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "image"},  # our own pages
        {"Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "document"},  # typed into the address bar
        {"Referer": "http://localhost/register"},  # a browser without fetch metadata, on our page
        {},  # no browser at all
    ],
    ids=["same-origin", "typed", "own-referer", "no-browser"],
)
def test_our_own_pages_load_the_captcha(api, headers):
    assert captcha_load(api, **headers).status_code == 200


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


@pytest.mark.parametrize(
    ("forwarded_for", "ip", "flagged"),
    [
        ("203.0.113.5", "203.0.113.5", False),
        ("2001:DB8:0:0::1", "2001:db8::1", False),  # stored in its canonical spelling
        ("not-an-ip", "127.0.0.1", True),
        ("203.0.113.5, <script>alert(1)</script>", "127.0.0.1", True),  # the proxy appended garbage it was sent
        ("9" * 100, "127.0.0.1", True),  # was a 500 on PostgreSQL (the column holds 45)
        ("fe80::1%" + "eth0" * 20, "127.0.0.1", True),  # a zone id names the proxy's interface
        ("203.0.113.5:4711", "127.0.0.1", True),
    ],
)
def test_behind_a_trusted_proxy_a_forwarded_for_that_is_no_ip_address_is_not_taken(
    make_app, database_url, sms, captcha, forwarded_for, ip, flagged
):
    api = ApiClient(make_app(database_url, TRUSTED_PROXIES=1), sms, captcha)
    response = api.post(
        "/api/login",
        {"mobile": MOBILE, "password": "x", "captcha_uuid": "x", "captcha": "x"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert response.status_code == 400
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        [logged] = connection.execute(select(audit_events)).mappings().all()
    engine.dispose()
    assert logged["ip"] == ip
    assert logged["detail"].get("forwarded_for_invalid", False) is flagged


def test_an_account_cannot_probe_many_numbers_through_the_change_mobile_code(make_app, database_url, sms, captcha):
    """换绑's send says when another account has the new mobile; ten asks a day per account, refused ones too.
    (Real time: the limit's moving window lives in the rate limiter's storage, which a frozen clock confuses.)"""
    api = ApiClient(make_app(database_url), sms, captcha)
    assert api.register(MOBILE).status_code == 200
    assert api.register(OTHER_MOBILE).status_code == 200
    assert api.login(MOBILE).status_code == 200

    def ask(client, mobile):
        return client.post("/api/account/mobile/send_code", {"mobile": mobile, **client.solve_captcha()})

    answers = [ask(api, OTHER_MOBILE if n % 2 else f"1370000{n:04d}").status_code for n in range(10)]
    assert answers == [200, 409] * 5
    for mobile in (OTHER_MOBILE, "13700009999"):  # the eleventh: refused before anything is looked up
        refused = ask(api, mobile)
        assert refused.status_code == 429 and refused.get_json()["error"] == "sms_limit"
        assert 23 * 3600 < int(refused.headers["Retry-After"]) <= 24 * 3600
    other = ApiClient(api.app, sms, captcha)  # another account, from the same address: its own allowance
    assert other.login(OTHER_MOBILE).status_code == 200
    assert ask(other, "13700008888").status_code == 200


def logged_ips(api: ApiClient) -> list[str]:
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        ips = [row["ip"] for row in connection.execute(select(audit_events)).mappings()]
    engine.dispose()
    return ips


@pytest.mark.parametrize(
    "proxies,peer,taken",
    [
        (None, "203.0.113.50", False),  # the default: loopback, private and shared addresses only
        (None, "127.0.0.1", True),
        (None, "10.1.2.3", True),
        (None, "::ffff:192.168.0.9", True),
        ("10.0.0.7", "10.0.0.8", False),  # narrowed to the one proxy
        ("10.0.0.7, 2001:db8::/64", "2001:db8::1", True),
    ],
)
def test_a_forwarded_for_is_taken_only_from_a_trusted_proxy_address(
    make_app, database_url, sms, captcha, proxies, peer, taken
):
    """With the port reachable directly, a client rotating X-Forwarded-For must stay one address to the limits."""
    settings = {"TRUSTED_PROXIES": 1} | ({"TRUSTED_PROXY_ADDRESSES": proxies} if proxies else {})
    api = ApiClient(make_app(database_url, **settings), sms, captcha, ip=peer)
    for n in range(3):
        form = {"mobile": MOBILE, "password": "x", "captcha_uuid": "x", "captcha": "x"}
        response = api.post("/api/login", form, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        assert response.status_code == 400
    assert logged_ips(api) == (["198.51.100.0", "198.51.100.1", "198.51.100.2"] if taken else [peer] * 3)


def test_trusted_proxy_addresses_that_are_no_addresses_stop_the_app(make_app, database_url):
    with pytest.raises(InvalidSetting, match="TRUSTED_PROXY_ADDRESSES"):
        make_app(database_url, TRUSTED_PROXIES=1, TRUSTED_PROXY_ADDRESSES="10.0.0.0/8, nginx.internal")


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


def test_nothing_showing_account_data_may_be_cached(api):
    assert api.register(MOBILE).status_code == 200
    answers = {"login": api.login(MOBILE)}
    answers |= {path: api.get(path) for path in ("/", "/profile", "/settings", "/login", "/register")}
    answers["nickname"] = api.post("/api/account/nickname", {"nickname": "新昵称"})
    answers["refusal"] = api.post("/api/account/nickname", {"nickname": ""})
    assert {name: r.headers.get("Cache-Control") for name, r in answers.items()} == dict.fromkeys(answers, "no-store")
    assert "no-store" not in api.get("/static/css/app.css").headers.get("Cache-Control", "")  # assets may be


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
