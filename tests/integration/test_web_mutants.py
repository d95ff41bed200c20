"""Session handling over HTTP, against changes to entrypoints/web/auth.py and api.py that the rest of the suite let
through (issue 11; `make mutate`, target web). Each test names the change it catches. On every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from adapters.sqlalchemy.tables import users
from tests.conftest import ApiClient
from tests.integration.test_account_lifecycle import error_of, query
from tests.integration.test_sessions import (
    MOBILE,
    NEW,
    OTHER_MOBILE,
    PASSWORD,
    browser,
    change_password,
    cookie_payload,
    login,
    refreshed_copy,
    signed_in,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NEW_MOBILE = "13700137000"
MINUTE = timedelta(seconds=61)  # past the 60 s between two codes to one mobile


@pytest.fixture
def api(make_app, database_url, sms, captcha) -> ApiClient:
    return ApiClient(make_app(database_url), sms, captcha)


def remembered(client: ApiClient) -> bool:
    """Does this browser keep its cookie after it closes (a 记住我 cookie has an expiry)?"""
    return client.http.get_cookie("session").expires is not None


def sms_code(client: ApiClient, path: str, purpose: str, mobile: str = MOBILE) -> str:
    response = client.post(path, {"mobile": mobile, **client.solve_captcha()})
    assert response.status_code == 200, response.get_json()
    return client.sms.last_code(mobile, purpose)


# --- one session per sign-in (a constant session id would sign every device of every user out at once) ------


def test_two_users_get_sessions_of_their_own_and_one_signing_out_leaves_the_other(api):
    assert api.register(MOBILE).status_code == 200 and api.register(OTHER_MOBILE).status_code == 200
    alice, bob = login(browser(api, "127.0.0.2")), login(browser(api, "127.0.0.3"), OTHER_MOBILE)
    alice_phone = login(browser(api, "127.0.0.4"))
    ids = {cookie_payload(client)["sid"] for client in (alice, bob, alice_phone)}
    assert len(ids) == 3
    assert alice.post("/api/logout").status_code == 200
    assert not signed_in(alice) and signed_in(bob) and signed_in(alice_phone)
    [bobs] = bob.get("/api/account/sessions").get_json()["sessions"]
    assert bobs["current"] is True


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


@pytest.mark.parametrize("remember", [True, False], ids=["remember-me", "browser"])
def test_sms_sign_in_and_a_mobile_change_keep_remember_me_as_ticked(api, sms, remember):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE).status_code == 200
        clock.tick(MINUTE)
        code = sms_code(api, "/api/send_login_sms", "login")
        signed = api.post("/api/login_sms", {"mobile": MOBILE, "vercode": code, "remember": remember})
        assert signed.status_code == 200 and remembered(api) is remember
        api.token = None
        clock.tick(MINUTE)
        code = sms_code(api, "/api/account/mobile/send_code", "change_mobile", NEW_MOBILE)
        changed = api.post("/api/account/mobile", {"mobile": NEW_MOBILE, "vercode": code, "currentPassword": PASSWORD})
        assert changed.status_code == 200, changed.get_json()
        assert signed_in(api) and remembered(api) is remember


# --- consent -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("agreement", [None, False, "", "off", "0"], ids=["absent", "false", "empty", "off", "0"])
def test_sign_up_without_the_ticked_agreement_is_refused(api, sms, agreement):
    assert api.send_sms(MOBILE).status_code == 200
    form = {
        "nickname": "小明",
        "mobile": MOBILE,
        "vercode": sms.last_code(MOBILE),
        "password": PASSWORD,
        "confirmPassword": PASSWORD,
    }
    if agreement is not None:
        form["agreement"] = agreement
    assert error_of(api.post("/api/register", form), 400, "agreement_required")["field"] == "agreement"
    assert query(api, select(users)) == []


# --- what a checkbox may carry (openapi.json: "on", booleans, and for old clients a few more) -----------------


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


def test_the_sms_answer_says_how_long_the_code_lasts(api):
    sent = api.send_sms(MOBILE)
    assert sent.status_code == 200 and sent.get_json()["message"] == "验证码已发送，5 分钟内有效"


# --- refusals of the request itself say what was wrong (openapi.json: maxLength 256 for every text field) ---------


def test_a_body_that_is_no_json_object_is_refused_and_told_so(api):
    for body in ([MOBILE], "13800138000", None):
        refused = api.post("/api/login", body)
        assert "JSON" in error_of(refused, 400, "invalid_input")["message"], body


def test_a_missing_or_overlong_field_is_refused_by_name_and_256_characters_still_reach_the_rules(api):
    form = {"mobile": MOBILE, "password": PASSWORD, **api.solve_captcha()}
    missing = error_of(api.post("/api/login", {**form, "password": None}), 400, "invalid_input")
    assert missing["field"] == "password" and "password" in missing["message"]
    overlong = error_of(api.post("/api/login", {**form, "captcha": "A" * 257}), 400, "invalid_input")
    assert overlong["field"] == "captcha" and "captcha" in overlong["message"]
    error_of(api.post("/api/login", {**form, **api.solve_captcha(), "captcha": "A" * 256}), 400, "captcha_invalid")
