"""Findings of the outside security test (issue 10), each with the test that failed before its fix.
Over HTTP, on every database, unless a test says otherwise."""

from __future__ import annotations

import stat
import uuid

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from adapters.passwords import Argon2Hasher
from adapters.sqlalchemy.tables import audit_events, captcha_challenges
from tests.conftest import ApiClient, server_database

MOBILE, OTHER_MOBILE = "13800138000", "13900139000"
PASSWORD, NEW_PASSWORD = "s3cure-Passw0rd", "n3w-Passw0rd-x"
OWNER_IP, ATTACKER_IP = "198.51.100.1", "203.0.113.9"


@pytest.fixture
def app(make_app, database_url):
    return make_app(database_url)


@pytest.fixture
def owner(app, sms, captcha) -> ApiClient:
    return ApiClient(app, sms, captcha, ip=OWNER_IP)


@pytest.fixture
def attacker(app, sms, captcha) -> ApiClient:
    return ApiClient(app, sms, captcha, ip=ATTACKER_IP)


def count(api: ApiClient, table) -> int:
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).select_from(table)).scalar()
    engine.dispose()
    return value


def reset(client: ApiClient, code: str, password: str = NEW_PASSWORD):
    response = client.post(
        "/api/reset_password", {"mobile": MOBILE, "vercode": code, "password": password, "confirmPassword": password}
    )
    client.token = None  # a reset ends this browser's session, and with it the CSRF token
    return response


# --- row 3: one address cannot keep the owner out ---------------------------------------------------


def test_an_attacker_can_neither_kill_the_owners_reset_code_nor_keep_the_lock(owner, attacker, sms):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert owner.register(MOBILE).status_code == 200
        answers = [attacker.login(MOBILE, "wrong-password-1").get_json()["error"] for _ in range(5)]
        assert answers[-1] == "account_locked"
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


def test_wrong_codes_from_many_addresses_still_kill_the_code(app, owner, sms, captcha):
    assert owner.send_sms(MOBILE).status_code == 200
    code = sms.last_code(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for n in range(4):  # 4 addresses x 5 tries: the overall limit of 20
        guesser = ApiClient(app, sms, captcha, ip=f"203.0.113.{n + 10}")
        for _ in range(5):
            assert guesser.register(MOBILE, code=wrong).get_json()["error"] == "sms_code_invalid"
    assert owner.register(MOBILE, code=code).get_json()["error"] == "sms_code_invalid"


# --- row 4: registered mobiles cannot be listed through /api/register -------------------------------


def test_a_made_up_code_gets_the_same_answer_for_registered_and_unregistered_mobiles(owner, attacker):
    assert owner.register(MOBILE).status_code == 200
    answers = []
    for mobile in (MOBILE, OTHER_MOBILE):
        response = attacker.register(mobile, code="123456")
        answers.append((response.status_code, response.get_json()))
    assert answers[0] == answers[1] and answers[0][0] == 400
    assert answers[0][1]["error"] == "sms_code_invalid"


# --- row 5: no argon2 before the code is right ------------------------------------------------------


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


# --- row 6: wrong current passwords in 设置 count toward the lockout --------------------------------


def test_wrong_current_passwords_lock_the_account_like_failed_sign_ins(owner, attacker):
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
    assert attacker.login(MOBILE).get_json()["error"] == "account_locked"
    assert owner.login(MOBILE, NEW_PASSWORD).get_json()["error"] == "account_locked"  # nothing was changed


# --- row 7: other sites cannot load our captcha ---------------------------------------------------


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
def test_our_own_pages_load_the_captcha(client, headers):
    assert captcha_load(client, **headers).status_code == 200


def test_captcha_views_do_not_grow_the_audit_log(owner):
    for _ in range(10):
        assert captcha_load(owner, **{"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert count(owner, audit_events) == 0


# --- row 8: behind trusted proxies, only an IP address is taken as the client's ----------------------


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
def test_a_forwarded_for_that_is_no_ip_address_is_not_taken(
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
        [event] = connection.execute(select(audit_events)).mappings().all()
    engine.dispose()
    assert event["ip"] == ip
    assert event["detail"].get("forwarded_for_invalid", False) is flagged


# --- row 14: file modes, caching, Allow, readiness ------------------------------------------------


def test_sqlite_files_are_created_readable_by_their_owner_only(make_app, tmp_path, sms, captcha):
    path = tmp_path / "private.sqlite3"
    api = ApiClient(make_app(f"sqlite:///{path}"), sms, captcha)
    assert api.register(MOBILE).status_code == 200  # written through the WAL
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}


def test_nothing_showing_account_data_may_be_cached(owner):
    assert owner.register(MOBILE).status_code == 200
    answers = {"login": owner.login(MOBILE)}
    answers |= {path: owner.get(path) for path in ("/", "/profile", "/settings", "/login", "/register")}
    answers["nickname"] = owner.post("/api/account/nickname", {"nickname": "新昵称"})
    answers["refusal"] = owner.post("/api/account/nickname", {"nickname": ""})
    assert {name: r.headers.get("Cache-Control") for name, r in answers.items()} == dict.fromkeys(answers, "no-store")
    assert "no-store" not in owner.get("/static/css/app.css").headers.get("Cache-Control", "")  # assets may be


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/login", {"POST"}),
        ("POST", "/get_captcha", {"GET", "HEAD"}),
        ("DELETE", "/readyz", {"GET", "HEAD"}),
    ],
)
def test_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = client.http.open(path, method=method, headers={"X-CSRFToken": client.csrf()})
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) - {"OPTIONS"} == allowed


def test_readyz_fails_when_the_sqlite_file_is_deleted(make_app, tmp_path, sms, captcha):
    path = tmp_path / "doomed.sqlite3"
    api = ApiClient(make_app(f"sqlite:///{path}"), sms, captcha)
    assert api.get("/readyz").status_code == 200
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    response = api.get("/readyz")
    assert response.status_code == 503 and response.get_json()["reason"] == "database not writable"


def test_readyz_fails_when_the_sqlite_file_is_read_only(make_app, tmp_path, sms, captcha):
    path = tmp_path / "frozen.sqlite3"
    make_app(f"sqlite:///{path}")  # migrated
    # Opened read-only: what a read-only file, folder or mount gives (root ignores mode bits, so they prove nothing).
    api = ApiClient(make_app(f"sqlite:///file:{path}?mode=ro&uri=true", AUTO_MIGRATE=False), sms, captcha)
    response = api.get("/readyz")
    assert response.status_code == 503 and response.get_json()["reason"] == "database not writable"


def test_readyz_fails_on_a_read_only_postgresql(make_app, sms, captcha):
    url = server_database("postgresql")
    name = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} SET default_transaction_read_only = on"))
    try:
        api = ApiClient(make_app(url, AUTO_MIGRATE=False), sms, captcha)
        response = api.get("/readyz")
        assert response.status_code == 503 and response.get_json()["reason"] == "database not writable"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"ALTER DATABASE {name} RESET default_transaction_read_only"))
        admin.dispose()
