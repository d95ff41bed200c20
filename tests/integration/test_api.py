"""The JSON API through the Flask test client, on every reachable database."""

from __future__ import annotations

import base64
import json
import uuid
import zlib

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, select

from adapters.sqlalchemy.tables import audit_events, sms_challenges, users
from tests.conftest import ApiClient
from tests.integration.test_account_lifecycle import error_of

MOBILE = "13800138000"
PASSWORD = "s3cure-Passw0rd"


@pytest.fixture
def api(make_app, database_url, sms, captcha) -> ApiClient:
    return ApiClient(make_app(database_url), sms, captcha)


def rows(api: ApiClient, table, *where):
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        result = connection.execute(select(table).where(*where)).mappings().all()
    engine.dispose()
    return result


def event_types(api: ApiClient) -> list[str]:
    return [row["type"] for row in rows(api, audit_events)]


def session_payload(api: ApiClient) -> str:
    """What the browser can read from Flask's signed (not encrypted) session cookie."""
    cookie = api.http.get_cookie("session")
    if cookie is None:
        return ""
    data = cookie.value
    compressed = data.startswith(".")
    payload = data.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def assert_error(response, status: int, slug: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == slug and body["code"] != 0
    assert body["message"] and not body["message"].isascii()  # a Chinese sentence for the user
    return body


# --- captcha ---------------------------------------------------------------------------------------


def test_captcha_is_a_png_that_is_not_cached(api):
    response = api.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}")
    assert response.status_code == 200
    assert response.content_type == "image/png" and response.data.startswith(b"\x89PNG")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("bad", ["", "abc", "1234", "../../etc/passwd", "0b9f6a4e-3a5b-4a63-9a53-2f6c3c1b1fzz"])
def test_captcha_id_must_be_a_uuid(api, bad):
    assert_error(api.get(f"/get_captcha?captcha_uuid={bad}"), 400, "invalid_input")


def test_captcha_is_single_use_and_bound_to_its_uuid(api):
    solved = api.solve_captcha()
    other = api.solve_captcha()
    # Right text under another uuid: refused, and that other captcha is now spent too.
    mixed = {"mobile": MOBILE, "captcha": solved["captcha"], "captcha_uuid": other["captcha_uuid"]}
    if solved["captcha"] != other["captcha"]:
        assert_error(api.post("/api/send_register_sms", mixed), 400, "captcha_invalid")
    assert api.post("/api/send_register_sms", {"mobile": MOBILE, **solved}).status_code == 200
    replay = api.post("/api/send_register_sms", {"mobile": "13900139000", **solved})
    assert_error(replay, 400, "captcha_invalid")


def test_captcha_is_compared_case_insensitively(api):
    solved = api.solve_captcha()
    solved["captcha"] = solved["captcha"].lower()
    assert api.post("/api/send_register_sms", {"mobile": MOBILE, **solved}).status_code == 200


def test_captcha_views_do_not_grow_the_audit_log(api):
    for _ in range(10):
        captcha = api.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}", headers={"Sec-Fetch-Site": "same-origin"})
        assert captcha.status_code == 200
    assert rows(api, audit_events) == []


def test_captcha_expires_after_three_minutes(api):
    with freeze_time("2026-01-01 12:00:00") as clock:
        solved = api.solve_captcha()
        clock.tick(181)
        assert_error(api.post("/api/send_register_sms", {"mobile": MOBILE, **solved}), 400, "captcha_invalid")


# --- SMS codes -------------------------------------------------------------------------------------


def test_send_sms_sends_six_digits_and_keeps_them_out_of_the_cookie_and_the_database(api, sms):
    response = api.send_sms(" 13800138000 ")  # trimmed
    assert response.status_code == 200 and response.get_json()["code"] == 0
    mobile, code, purpose = sms.sent[-1]
    assert (mobile, purpose) == (MOBILE, "register") and code.isdigit() and len(code) == 6
    assert code not in session_payload(api)
    stored = rows(api, sms_challenges)
    assert len(stored) == 1 and code not in json.dumps([dict(r) for r in stored], default=str)
    assert "sms_code.sent" in event_types(api)


@pytest.mark.parametrize("mobile", ["12800138000", "1380013800", "138001380001", "abc", "+8613800138000"])
def test_send_sms_refuses_a_malformed_mobile(api, sms, mobile):
    assert_error(api.send_sms(mobile), 400, "invalid_mobile")
    assert sms.sent == []


def test_send_sms_cooldown_answers_429_with_retry_after(api):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert api.send_sms(MOBILE).status_code == 200
        clock.tick(30)
        body = assert_error(api.send_sms(MOBILE), 429, "sms_cooldown")
        assert 1 <= body["retry_after"] <= 31
        clock.tick(31)
        assert api.send_sms(MOBILE).status_code == 200


FREE = "13900139000"  # no account has it


def what_a_stranger_sees(response) -> tuple:
    """Everything an answer carries but what is new on every response (the session cookie, the request id) and the
    per-address rate limit's count of this client's own requests."""
    headers = sorted(
        (k, v)
        for k, v in response.headers.items()
        if k not in ("Set-Cookie", "Date", "Content-Length", "X-Request-ID") and not k.startswith("X-RateLimit-")
    )
    return response.status_code, response.get_json(), headers


def challenge_shape(api: ApiClient, mobile: str) -> list[tuple]:
    return [
        (r["purpose"], r["status"], r["spent"], r["attempts"])
        for r in rows(api, sms_challenges, sms_challenges.c.mobile == mobile)
    ]


@pytest.mark.parametrize(
    "path,purpose", [("/api/send_register_sms", "register"), ("/api/send_reset_sms", "reset_password")]
)
def test_sms_sends_answer_a_registered_and_a_free_mobile_alike(api, sms, path, purpose):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert api.register(MOBILE).status_code == 200
        sms.sent.clear()
        clock.tick(61)  # past the sign-up code's cooldown
        first = [what_a_stranger_sees(api.post(path, {"mobile": m, **api.solve_captcha()})) for m in (MOBILE, FREE)]
        clock.tick(30)  # and the cooldown that follows: the same for both
        again = [what_a_stranger_sees(api.post(path, {"mobile": m, **api.solve_captcha()})) for m in (MOBILE, FREE)]
    assert first[0] == first[1] and first[0][0] == 200
    assert again[0] == again[1] and again[0][0] == 429
    assert [(m, p) for m, _, p in sms.sent] == [(MOBILE, purpose), (FREE, purpose)]  # each number's holder is told
    assert challenge_shape(api, MOBILE)[-1] == challenge_shape(api, FREE)[-1]


def test_a_sign_up_code_for_a_registered_mobile_tells_only_whoever_holds_it(api, sms):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert api.register(MOBILE).status_code == 200
        clock.tick(61)
        assert api.send_sms(MOBILE).status_code == 200  # answered as for a free mobile, and sent
        assert_error(api.register(MOBILE, code="000000"), 400, "sms_code_invalid")  # a guess: as for any mobile
        assert_error(api.register(MOBILE, code=api.sms.last_code(MOBILE)), 409, "mobile_taken")  # proven: told
    assert len(rows(api, users)) == 1


def test_a_reset_code_for_a_free_mobile_tells_only_whoever_holds_it(api, sms):
    def reset(code):
        form = {"mobile": FREE, "vercode": code, "password": "n3w-Passw0rd!", "confirmPassword": "n3w-Passw0rd!"}
        return api.post("/api/reset_password", form)

    assert api.post("/api/send_reset_sms", {"mobile": FREE, **api.solve_captcha()}).status_code == 200
    assert_error(reset("000000"), 400, "sms_code_invalid")
    assert_error(reset(sms.last_code(FREE, "reset_password")), 400, "mobile_not_registered")


def test_send_sms_provider_failure_is_503_and_spends_nothing(api, sms):
    sms.fail = True
    assert_error(api.send_sms(MOBILE), 503, "sms_unavailable")
    [failed] = rows(api, sms_challenges)
    assert (failed["status"], failed["spent"]) == ("failed", True)  # kept for the record, dead, counted nowhere
    assert "sms_code.send_failed" in event_types(api)
    sms.fail = False
    assert api.send_sms(MOBILE).status_code == 200  # no cooldown was spent


# --- registration ----------------------------------------------------------------------------------


def test_register_creates_one_user_with_an_argon2_hash(api):
    response = api.register(MOBILE, nickname="  小明同学 ")
    assert response.status_code == 200 and response.get_json()["code"] == 0
    [user] = rows(api, users)
    assert user["nickname"] == "小明同学" and user["mobile"] == MOBILE
    assert user["password_hash"].startswith("$argon2id$") and "s3cure-Passw0rd" not in user["password_hash"]
    assert "user.registered" in event_types(api)


def test_a_made_up_code_gets_the_same_answer_for_registered_and_unregistered_mobiles(api, sms, captcha):
    """Not 409 for a registered mobile: /api/register must not tell anyone which mobiles have accounts."""
    assert api.register(MOBILE).status_code == 200
    attacker = ApiClient(api.app, sms, captcha, ip="203.0.113.9")
    registered, unregistered = (attacker.register(mobile, code="123456") for mobile in (MOBILE, "13900139000"))
    assert assert_error(registered, 400, "sms_code_invalid") == unregistered.get_json()
    assert unregistered.status_code == 400
    assert len(rows(api, users)) == 1


@pytest.mark.parametrize("nickname", ["官方客服", "\u0430dmin", "ＡＤＭＩＮ"])
def test_a_reserved_nickname_is_refused_at_sign_up_and_in_settings(api, nickname):
    body = assert_error(api.register(MOBILE, nickname=nickname), 400, "nickname_reserved")
    assert body["field"] == "nickname" and rows(api, users) == []
    assert api.register(MOBILE, nickname="小明", code=api.sms.last_code(MOBILE)).status_code == 200  # code kept
    assert api.login(MOBILE).status_code == 200
    assert_error(api.post("/api/account/nickname", {"nickname": nickname}), 400, "nickname_reserved")
    assert [u["nickname"] for u in rows(api, users)] == ["小明"]
    assert "nickname.changed" not in event_types(api)


def test_sms_code_is_single_use(api, sms):
    assert api.send_sms(MOBILE).status_code == 200
    code = sms.last_code(MOBILE)
    assert api.register(MOBILE, code=code).status_code == 200
    other = api.post(
        "/api/register",
        {
            "nickname": "x",
            "mobile": MOBILE,
            "vercode": code,
            "password": "another-pass-1",
            "confirmPassword": "another-pass-1",
            "agreement": True,
        },
    )
    assert other.status_code in (400, 409)


def test_five_wrong_sms_codes_from_one_address_stop_it(api, sms):
    assert api.send_sms(MOBILE).status_code == 200
    code = sms.last_code(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert_error(api.register(MOBILE, code=wrong), 400, "sms_code_invalid")
    assert_error(api.register(MOBILE, code=code), 400, "sms_code_invalid")
    assert rows(api, users) == []


def test_sms_code_expires_after_five_minutes(api, sms):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert api.send_sms(MOBILE).status_code == 200
        clock.tick(301)
        assert_error(api.register(MOBILE, code=sms.last_code(MOBILE)), 400, "sms_code_invalid")


@pytest.mark.parametrize(
    ("change", "slug"),
    [
        ({"password": "short1", "confirmPassword": "short1"}, "invalid_password"),
        ({"password": "password123", "confirmPassword": "password123"}, "weak_password"),
        ({"confirmPassword": "not-the-same-1"}, "password_mismatch"),
        ({"agreement": False}, "agreement_required"),
        ({"nickname": "   "}, "invalid_nickname"),
        ({"nickname": "x" * 33}, "invalid_nickname"),
        ({"nickname": "bad\u202ename"}, "invalid_nickname"),
        ({"mobile": "1380013800"}, "invalid_mobile"),
    ],
)
def test_register_rules_refuse_with_a_field(api, sms, change, slug):
    assert api.send_sms(MOBILE).status_code == 200
    form = {
        "nickname": "小明",
        "mobile": MOBILE,
        "vercode": sms.last_code(MOBILE),
        "password": "s3cure-Passw0rd",
        "confirmPassword": "s3cure-Passw0rd",
        "agreement": "on",
        **change,
    }
    body = assert_error(api.post("/api/register", form), 400, slug)
    assert body["field"]
    assert rows(api, users) == []
    assert "registration.refused" in event_types(api)


# --- login -----------------------------------------------------------------------------------------


def test_login_signs_in_and_logout_signs_out(api):
    assert api.register(MOBILE, nickname="小明").status_code == 200
    response = api.login(MOBILE)
    assert response.status_code == 200 and response.get_json()["code"] == 0
    assert "小明" in api.get("/").get_data(as_text=True)
    assert api.post("/api/logout").status_code == 200
    assert "小明" not in api.get("/").get_data(as_text=True)
    assert {"login.succeeded", "user.logged_out"} <= set(event_types(api))


def test_login_answers_unknown_mobile_and_wrong_password_alike(api):
    assert api.register(MOBILE).status_code == 200
    unknown = assert_error(api.login("13900139000"), 401, "bad_credentials")
    wrong = assert_error(api.login(MOBILE, password="wrong-password-1"), 401, "bad_credentials")
    assert unknown == wrong


def test_login_checks_the_captcha_first(api):
    assert api.register(MOBILE).status_code == 200
    form = {"mobile": MOBILE, "password": "s3cure-Passw0rd", "captcha": "WRONG", "captcha_uuid": str(uuid.uuid4())}
    assert_error(api.post("/api/login", form), 400, "captcha_invalid")


def test_five_wrong_passwords_lock_for_fifteen_minutes_and_the_form_does_not_say_so(api):
    with freeze_time("2026-01-01 12:00:00") as clock:
        assert api.register(MOBILE).status_code == 200
        for _ in range(4):
            assert_error(api.login(MOBILE, password="wrong-password-1"), 401, "bad_credentials")
        fifth = [api.login(m, password="wrong-password-1") for m in (MOBILE, FREE)]  # this one locks MOBILE
        assert what_a_stranger_sees(fifth[0]) == what_a_stranger_sees(fifth[1])
        assert_error(fifth[0], 401, "bad_credentials")
        locked = [api.login(m) for m in (MOBILE, FREE)]  # the right password, during the lock
        assert what_a_stranger_sees(locked[0]) == what_a_stranger_sees(locked[1])
        assert_error(locked[0], 401, "bad_credentials")
        clock.tick(15 * 60 + 1)
        assert api.login(MOBILE).status_code == 200
    assert "account.locked" in event_types(api)  # the owner's security log and the console show the lock
    refused = rows(api, audit_events, audit_events.c.type == "login.failed", audit_events.c.mobile == MOBILE)
    assert [r["detail"]["reason"] for r in refused][-2:] == ["bad_credentials", "account_locked"]


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/send_register_sms", "/api/register", "/api/login"])
@pytest.mark.parametrize(
    "payload",
    ["{not json", "[1, 2]", "null", '"text"', '{"mobile": 13800138000}', "{}", '{"mobile": ["a"], "password": {}}'],
)
def test_malformed_bodies_get_400_and_write_nothing(api, path, payload):
    response = api.post(path, data=payload, content_type="application/json")
    assert_error(response, 400, "invalid_input")
    assert rows(api, users) == [] and rows(api, sms_challenges) == []


def test_a_body_that_is_no_json_object_is_refused_and_told_so(api):
    for body in ([MOBILE], "13800138000", None):
        refused = api.post("/api/login", body)
        assert "JSON" in error_of(refused, 400, "invalid_input")["message"], body


def test_a_missing_or_overlong_field_is_refused_by_name_and_256_characters_still_reach_the_rules(api):
    """openapi.json allows at most 256 characters in every text field."""
    form = {"mobile": MOBILE, "password": PASSWORD, **api.solve_captcha()}
    missing = error_of(api.post("/api/login", {**form, "password": None}), 400, "invalid_input")
    assert missing["field"] == "password" and "password" in missing["message"]
    overlong = error_of(api.post("/api/login", {**form, "captcha": "A" * 257}), 400, "invalid_input")
    assert overlong["field"] == "captcha" and "captcha" in overlong["message"]
    error_of(api.post("/api/login", {**form, **api.solve_captcha(), "captcha": "A" * 256}), 400, "captcha_invalid")


def test_a_large_body_gets_413(api):
    response = api.post("/api/register", data=json.dumps({"nickname": "x" * 100_000}), content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_a_post_without_the_csrf_token_is_refused(api):
    response = api.http.post("/api/send_register_sms", json={"mobile": MOBILE, **api.solve_captcha()})
    assert_error(response, 400, "csrf_invalid")


def test_unknown_api_path_is_json_404(api):
    assert_error(api.post("/api/nope", {}), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/login", {"POST"}),
        ("POST", "/get_captcha", {"GET", "HEAD"}),
        ("DELETE", "/readyz", {"GET", "HEAD"}),
    ],
)
def test_405_says_which_methods_are_allowed(api, method, path, allowed):
    response = api.http.open(path, method=method, headers={"X-CSRFToken": api.csrf()})
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) - {"OPTIONS"} == allowed


def test_every_response_carries_a_request_id_stored_with_its_events(api):
    response = api.post(
        "/api/login",
        {"mobile": MOBILE, "password": "x", "captcha_uuid": "x", "captcha": "x"},
        headers={"X-Request-ID": "req-abc-123"},
    )
    assert response.headers["X-Request-ID"] == "req-abc-123"
    [event] = rows(api, audit_events)
    assert event["request_id"] == "req-abc-123" and event["type"] == "login.failed"
