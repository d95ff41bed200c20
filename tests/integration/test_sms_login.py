"""验证码登录 (with one-step sign-up), 换绑手机号 and 注销 by SMS code through the HTTP API, on every database;
and twenty racing changes to one new mobile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from adapters.sqlalchemy.tables import audit_events, consents, users
from domain.events import ClientContext
from domain.use_cases.change_mobile import MobileChange
from domain.use_cases.issue_captcha import CaptchaRequest
from domain.use_cases.login import Credentials
from domain.use_cases.register_user import Registration
from domain.use_cases.request_sms_code import SmsCodeRequest
from entrypoints.bootstrap import bootstrap
from tests.conftest import ApiClient, RecordingCaptcha, RecordingSms
from tests.integration.test_account_lifecycle import error_of, query
from tests.integration.test_openapi import assert_conforms
from tests.integration.test_races import N, race
from tests.integration.test_sessions import remembered, signed_in, sms_code

MOBILE, NEW = "13800138000", "13900139000"
PASSWORD = "s3cure-Passw0rd"
T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
MINUTE = timedelta(seconds=61)  # past the 60 s between two codes to one mobile


@pytest.fixture
def api(make_app, database_url, sms, captcha) -> ApiClient:
    return ApiClient(make_app(database_url), sms, captcha)


def send(api: ApiClient, path: str, mobile: str | None = None):
    body = {**({"mobile": mobile} if mobile else {}), **api.solve_captcha()}
    response = api.post(path, body)
    assert_conforms("POST", path, response)
    return response


def sms_login(api: ApiClient, code: str, mobile: str = MOBILE, **fields):
    response = api.post("/api/login_sms", {"mobile": mobile, "vercode": code, **fields})
    assert_conforms("POST", "/api/login_sms", response)
    if response.status_code == 200:
        api.token = None  # a new session, a new CSRF token
    return response


def events(api: ApiClient, event_type: str):
    return query(api, select(audit_events).where(audit_events.c.type == event_type).order_by(audit_events.c.id))


def test_sms_sign_in_signs_up_in_one_step_and_the_account_sets_a_password_later(api, sms):
    with freeze_time(T0) as clock:
        api.register(NEW, PASSWORD)
        clock.tick(MINUTE)
        answers = [send(api, "/api/send_login_sms", m) for m in (MOBILE, NEW)]
        assert [a.get_json() for a in answers] == [answers[0].get_json()] * 2  # registered or not: one answer
        code = sms.last_code(MOBILE, "login")

        error_of(sms_login(api, code), 400, "agreement_required")  # a new mobile: the box, after the code
        assert query(api, select(users).where(users.c.mobile == MOBILE)) == []
        body = sms_login(api, code, agreement="on", remember=True).get_json()
        assert body["registered"] is True and body["deletion_cancelled"] is False
        [row] = query(api, select(users).where(users.c.mobile == MOBILE))
        assert (row["nickname"], row["password_hash"]) == ("用户8000", None)
        assert len(query(api, select(consents).where(consents.c.user_id == row["id"]))) == 2
        assert [(e["detail"] or {}).get("method") for e in events(api, "user.registered")] == [None, "sms"]
        assert events(api, "login.succeeded")[-1]["detail"]["method"] == "sms"
        assert "用户8000" in api.get("/profile").get_data(as_text=True)

        # No password yet: password sign-in answers as for a wrong password.
        other = ApiClient(api.app, sms, api.captcha, ip="198.51.100.4")
        generic = other.login(MOBILE, "")
        wrong = other.login(NEW, "wrong-Passw0rd")
        assert (generic.status_code, generic.get_json()) == (wrong.status_code, wrong.get_json())
        error_of(generic, 401, "bad_credentials")

        # 设置: the first password needs no current one but a code to the account's own mobile; after that the
        # current password.
        new_password = {"password": "n3w-Passw0rd!", "confirmPassword": "n3w-Passw0rd!"}
        error_of(api.post("/api/account/password", new_password), 400, "sms_code_invalid")
        clock.tick(MINUTE)
        send(api, "/api/account/password/send_code")
        first = api.post("/api/account/password", {**new_password, "vercode": sms.last_code(MOBILE, "reset_password")})
        assert assert_conforms("POST", "/api/account/password", first)["code"] == 0
        api.token = None
        assert len(events(api, "password.set")) == 1
        error_of(
            api.post("/api/account/password", {"password": "an0ther-Passw0rd", "confirmPassword": "an0ther-Passw0rd"}),
            400,
            "current_password_invalid",
        )
        assert other.login(MOBILE, "n3w-Passw0rd!").status_code == 200
        assert events(api, "login.succeeded")[-1]["detail"]["method"] == "password"


def test_a_session_alone_sets_no_first_password_and_so_cannot_move_the_account(api, sms):
    """A stolen session of an account made by 验证码登录: no password can be set without a code to the account's
    own mobile, so 换绑 with a password of the thief's choosing is refused and the owner keeps the account."""
    with freeze_time(T0) as clock:
        send(api, "/api/send_login_sms", MOBILE)
        assert sms_login(api, sms.last_code(MOBILE, "login"), agreement="on").status_code == 200
        clock.tick(MINUTE)
        chosen = {"password": "th1ef-Passw0rd", "confirmPassword": "th1ef-Passw0rd"}
        for proof in ({}, {"vercode": ""}, {"vercode": "000000"}):
            refused = api.post("/api/account/password", {**chosen, **proof})
            assert assert_conforms("POST", "/api/account/password", refused)["error"] == "sms_code_invalid"
        [row] = query(api, select(users).where(users.c.mobile == MOBILE))
        assert row["password_hash"] is None
        assert events(api, "password.set") == []
        assert [e["detail"]["reason"] for e in events(api, "password_change.refused")] == ["sms_code_invalid"] * 3

        # The send goes to the account's own mobile, whatever number the request names.
        sent = api.post("/api/account/password/send_code", {"mobile": NEW, **api.solve_captcha()})
        assert assert_conforms("POST", "/api/account/password/send_code", sent)["code"] == 0
        assert [m for m, _, p in sms.sent if p == "reset_password"] == [MOBILE]
        assert events(api, "sms_code.sent")[-1]["user_id"] == row["id"]

        send(api, "/api/account/mobile/send_code", NEW)  # the thief's own number
        moved = api.post(
            "/api/account/mobile",
            {"mobile": NEW, "vercode": sms.last_code(NEW, "change_mobile"), "currentPassword": chosen["password"]},
        )
        assert assert_conforms("POST", "/api/account/mobile", moved)["code"] == 400
        [row] = query(api, select(users).where(users.c.id == row["id"]))
        assert (row["mobile"], row["password_hash"]) == (MOBILE, None)


def test_sms_sign_in_of_an_existing_account_needs_no_agreement_and_a_wrong_code_signs_in_nobody(api, sms):
    api.register(MOBILE, PASSWORD)
    with freeze_time(datetime.now(UTC) + MINUTE):
        send(api, "/api/send_login_sms", MOBILE)
        code = sms.last_code(MOBILE, "login")
        error_of(sms_login(api, "000000" if code != "000000" else "111111"), 400, "sms_code_invalid")
        body = sms_login(api, code).get_json()
        assert body == {"code": 0, "message": "登录成功", "registered": False, "deletion_cancelled": False}
        error_of(sms_login(api, code), 400, "sms_code_invalid")  # single use


def test_change_mobile_with_the_password_ends_the_other_sessions(api, sms):
    with freeze_time(T0) as clock:
        api.register(MOBILE, PASSWORD)
        api.register("13700137000", PASSWORD)
        assert api.login(MOBILE, PASSWORD).status_code == 200
        other = ApiClient(api.app, sms, api.captcha, ip="198.51.100.4")
        assert other.login(MOBILE, PASSWORD).status_code == 200
        clock.tick(MINUTE)

        error_of(send(api, "/api/account/mobile/send_code", "13700137000"), 409, "mobile_in_use")
        send(api, "/api/account/mobile/send_current_code")
        current = sms.last_code(MOBILE, "change_mobile")
        send(api, "/api/account/mobile/send_code", NEW)
        code = sms.last_code(NEW, "change_mobile")
        for fields, slug in (
            ({"mobile": MOBILE, "vercode": code}, "mobile_unchanged"),
            ({"mobile": NEW, "vercode": code, "currentPassword": "wrong"}, "current_password_invalid"),
            ({"mobile": NEW, "vercode": "000000" if code != "000000" else "1"}, "sms_code_invalid"),
        ):
            refused = api.post(
                "/api/account/mobile", {"currentPassword": PASSWORD, "currentVercode": current, **fields}
            )
            assert assert_conforms("POST", "/api/account/mobile", refused)["error"] == slug
        changed = api.post(
            "/api/account/mobile",
            {"mobile": NEW, "vercode": code, "currentPassword": PASSWORD, "currentVercode": current},
        )
        assert assert_conforms("POST", "/api/account/mobile", changed)["code"] == 0
        api.token = None
        assert query(api, select(users.c.id).where(users.c.mobile == NEW))
        error_of(other.get("/api/account/sessions"), 401, "login_required")
        assert len(api.get("/api/account/sessions").get_json()["sessions"]) == 1
        [event] = events(api, "mobile.changed")
        assert (event["mobile"], event["detail"]) == (NEW, {"old_mobile": "138****8000", "new_mobile": "139****9000"})
        page = api.get("/profile").get_data(as_text=True)
        assert "换绑手机号（138****8000 → 139****9000）" in page
        assert other.login(NEW, PASSWORD).status_code == 200 and other.login(MOBILE, PASSWORD).status_code == 401


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
        send(api, "/api/account/mobile/send_current_code")
        current = sms.last_code(MOBILE, "change_mobile")
        code = sms_code(api, "/api/account/mobile/send_code", "change_mobile", NEW)
        changed = api.post(
            "/api/account/mobile",
            {"mobile": NEW, "vercode": code, "currentPassword": PASSWORD, "currentVercode": current},
        )
        assert changed.status_code == 200, changed.get_json()
        assert signed_in(api) and remembered(api) is remember


def test_a_passwordless_account_changes_mobile_and_cancels_by_codes_to_its_own_mobile(api, sms):
    with freeze_time(T0) as clock:
        send(api, "/api/send_login_sms", MOBILE)
        sms_login(api, sms.last_code(MOBILE, "login"), agreement=True)
        clock.tick(MINUTE)
        send(api, "/api/account/mobile/send_code", NEW)
        new_code = sms.last_code(NEW, "change_mobile")
        error_of(api.post("/api/account/mobile", {"mobile": NEW, "vercode": new_code}), 400, "current_code_invalid")
        send(api, "/api/account/mobile/send_current_code")
        assert sms.sent[-1][0] == MOBILE
        current = sms.last_code(MOBILE, "change_mobile")
        changed = api.post("/api/account/mobile", {"mobile": NEW, "vercode": new_code, "currentVercode": current})
        assert changed.status_code == 200, changed.get_json()
        api.token = None

        clock.tick(MINUTE)
        refused = api.post("/api/account/delete", {"currentPassword": ""})  # no password to give
        error_of(refused, 400, "current_password_invalid")
        send(api, "/api/account/delete/send_code")
        assert sms.sent[-1][::2] == (NEW, "delete_account")
        error_of(api.post("/api/account/delete", {"vercode": "0"}), 400, "sms_code_invalid")
        deleted = api.post("/api/account/delete", {"vercode": sms.last_code(NEW, "delete_account")})
        assert assert_conforms("POST", "/api/account/delete", deleted)["code"] == 0
        [row] = query(api, select(users.c.deletion_due_at))
        assert row["deletion_due_at"] is not None

        clock.tick(MINUTE)  # signing in again by code during the cool-off cancels it
        fresh = ApiClient(api.app, sms, api.captcha)
        send(fresh, "/api/send_login_sms", NEW)
        assert sms_login(fresh, sms.last_code(NEW, "login"), NEW).get_json()["deletion_cancelled"] is True


def test_a_password_and_a_code_to_the_new_mobile_alone_do_not_move_the_account_and_the_old_number_is_told(api, sms):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE, PASSWORD).status_code == 200
        assert api.login(MOBILE, PASSWORD).status_code == 200
        clock.tick(MINUTE)
        send(api, "/api/account/mobile/send_code", NEW)
        new_code = sms.last_code(NEW, "change_mobile")
        attack = {"mobile": NEW, "vercode": new_code, "currentPassword": PASSWORD}
        error_of(api.post("/api/account/mobile", attack), 400, "current_code_invalid")
        error_of(api.post("/api/account/mobile", {**attack, "currentVercode": "000000"}), 400, "current_code_invalid")
        [row] = query(api, select(users.c.mobile))
        assert row["mobile"] == MOBILE and events(api, "mobile.changed") == [] and sms.notices == []

        send(api, "/api/account/mobile/send_current_code")
        current = sms.last_code(MOBILE, "change_mobile")
        changed = api.post("/api/account/mobile", {**attack, "currentVercode": current})
        assert assert_conforms("POST", "/api/account/mobile", changed)["code"] == 0
        [row] = query(api, select(users.c.mobile))
        assert row["mobile"] == NEW and sms.notices == [(MOBILE, "mobile_changed_notice")]
        [notice] = events(api, "mobile_change_notice.sent")
        assert notice["mobile"] == MOBILE


def test_a_failed_notice_to_the_old_number_is_recorded_and_the_change_stands(api, sms):
    with freeze_time(T0) as clock:
        assert api.register(MOBILE, PASSWORD).status_code == 200
        assert api.login(MOBILE, PASSWORD).status_code == 200
        clock.tick(MINUTE)
        send(api, "/api/account/mobile/send_current_code")
        current = sms.last_code(MOBILE, "change_mobile")
        send(api, "/api/account/mobile/send_code", NEW)
        sms.fail_notice = True
        body = {"mobile": NEW, "vercode": sms.last_code(NEW, "change_mobile"), "currentPassword": PASSWORD}
        changed = api.post("/api/account/mobile", {**body, "currentVercode": current})
        assert changed.status_code == 200, changed.get_json()
        [row] = query(api, select(users.c.mobile))
        assert row["mobile"] == NEW and events(api, "mobile_change_notice.sent") == []
        [failed] = events(api, "mobile_change_notice.failed")
        assert failed["mobile"] == MOBILE and failed["detail"]["provider_code"] == "ConnectionError"


def test_the_account_endpoints_need_a_session(api):
    for path, body in (
        ("/api/account/mobile/send_code", {"mobile": NEW, **api.solve_captcha()}),
        ("/api/account/mobile/send_current_code", api.solve_captcha()),
        ("/api/account/delete/send_code", api.solve_captcha()),
        ("/api/account/mobile", {"mobile": NEW, "vercode": "123456", "currentPassword": "x"}),
    ):
        error_of(api.post(path, body), 401, "login_required")


# --- twenty racing changes to one new mobile ------------------------------------------------------------------


CLIENT = ClientContext(ip="127.0.0.1", user_agent="race-test", request_id="race")


@pytest.mark.slow
def test_twenty_accounts_racing_for_one_new_mobile_leave_it_to_one(database_url):
    """Each of twenty accounts holds a right code for the same new mobile (codes are bound to the account), a
    right password and a live session; they change at once. The unique constraint keeps the mobile to one."""
    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.migrate import upgrade

    upgrade(make_engine(database_url))
    sms, captcha = RecordingSms(), RecordingCaptcha()
    services = bootstrap(
        settings={
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bcec105d486e5666dec61bb3a9f4f8a650d49de0",
            "RULES": {
                "sms_cooldown": timedelta(0),
                "sms_per_mobile_cap": 1000,
                "sms_per_ip_cap": 1000,
                "sms_per_mobile_per_ip_cap": 1000,
            },
        },
        sms_sender=sms,
        captcha_renderer=captcha,
    )

    def solved():
        captcha_id = str(uuid.uuid4())
        services.issue_captcha(CaptchaRequest(captcha_id, CLIENT))
        return captcha_id, captcha.last_text

    racers = []
    for i in range(N):
        mobile = f"1360000{i:04d}"
        services.request_sms_code(SmsCodeRequest(mobile, *solved(), CLIENT, "register"))
        services.register_user(Registration("racer", mobile, sms.last_code(mobile), PASSWORD, PASSWORD, True, CLIENT))
        signed_in = services.login(Credentials(mobile, PASSWORD, *solved(), CLIENT))
        services.request_sms_code(SmsCodeRequest(None, *solved(), CLIENT, "change_mobile", signed_in.user_id))
        current = sms.last_code(mobile, "change_mobile")
        services.request_sms_code(SmsCodeRequest(NEW, *solved(), CLIENT, "change_mobile", signed_in.user_id))
        racers.append((signed_in.user_id, sms.last_code(NEW, "change_mobile"), signed_in.session.token, current))

    wins, refusals = race(
        lambda r: services.change_mobile(MobileChange(r[0], NEW, r[1], PASSWORD, r[3], CLIENT, r[2])), racers
    )
    assert len(wins) == 1 and {e.slug for e in refusals} == {"mobile_in_use"}, [e.slug for e in refusals]
    engine = services.engine
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).where(users.c.mobile == NEW)).scalar() == 1
        assert connection.execute(select(func.count()).where(audit_events.c.type == "mobile.changed")).scalar() == 1
        refused = connection.execute(select(func.count()).where(audit_events.c.type == "mobile_change.refused"))
        assert refused.scalar() == N - 1
