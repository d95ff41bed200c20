"""The console over HTTP: nothing without an operator session (every route), roles enforced on every action,
the cookie, the headers, the error shape, the CSV, and a disabled user's sign-in."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime

import pyotp
import pytest
from freezegun import freeze_time

from domain.events import ClientContext

PASSWORD = "operator pass phrase"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
ACTIONS = ("mobile", "unlock", "disable", "enable", "end_sessions")


class Operator:
    """A browser of the console: its own cookie jar, CSRF token from a console page, TOTP from the setup key."""

    def __init__(self, app, username="wang", role="admin"):
        self.app, self.http, self.username = app, app.test_client(), username
        link = app.extensions["services"].admin.create_operator(username, role, ClientContext())
        self.token = None
        started = self.post("/admin/api/setup/start", {"token": link.token})
        assert started.status_code == 200, started.get_json()
        self.totp = pyotp.TOTP(started.get_json()["key"].replace(" ", ""))
        finished = self.post(
            "/admin/api/setup/finish",
            {"token": link.token, "password": PASSWORD, "confirmPassword": PASSWORD, "code": self.totp.now()},
        )
        assert finished.status_code == 200, finished.get_json()
        self.recovery_codes = finished.get_json()["recovery_codes"]

    def csrf(self) -> str:
        if self.token is None:
            self.token = CSRF_META.search(self.http.get("/admin/login").get_data(as_text=True)).group(1)
        return self.token

    def post(self, path, json=None, **kwargs):
        return self.http.post(path, json=json or {}, headers={"X-CSRFToken": self.csrf()}, **kwargs)

    def sign_in(self, code=None):
        self.token = None  # from the login page, as a browser would
        response = self.post(
            "/admin/api/login",
            {"username": self.username, "password": PASSWORD, "code": code or self.totp.at(time.time() + 30)},
        )
        self.token = None  # a new session, a new CSRF token
        if response.status_code == 200:
            self.token = CSRF_META.search(self.http.get("/admin/").get_data(as_text=True)).group(1)
        return response


@pytest.fixture
def admin(app):
    operator = Operator(app)
    assert operator.sign_in().status_code == 200
    return operator


@pytest.fixture
def auditor(app):
    operator = Operator(app, "zhao", "auditor")
    assert operator.sign_in().status_code == 200
    return operator


@pytest.fixture
def user_id(client):
    assert client.register("13800138000").status_code == 200
    return 1


def admin_routes(app):
    console = app.extensions["console_app"]
    for rule in console.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            yield method, "/admin" + re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule), rule.endpoint


def test_nothing_in_the_console_is_reachable_without_an_operator_session(app, client, user_id):
    from entrypoints.web.admin.auth import PUBLIC

    client.login("13800138000")  # a signed-in user is no operator
    routes = list(admin_routes(app))
    assert len(routes) >= 15
    assert {"admin_pages.sms", "admin_pages.webhooks"} <= {endpoint for _, _, endpoint in routes}
    for browser in (app.test_client(), client.http):
        token = CSRF_META.search(browser.get("/admin/login").get_data(as_text=True)).group(1)
        for method, path, endpoint in routes:
            response = browser.open(path, method=method, headers={"X-CSRFToken": token}, json={})
            if endpoint in PUBLIC:
                assert response.status_code in (200, 400), (path, response.status_code)
            elif method == "GET":
                assert (response.status_code, response.headers["Location"]) == (302, "/admin/login"), path
            else:
                assert response.status_code == 401, path
                assert response.get_json() == {
                    "code": 401,
                    "error": "login_required",
                    "message": "请先登录管理后台",
                    "field": None,
                }


def test_every_page_answers_an_operator_with_the_defences(admin, user_id):
    for path in (
        "/admin/",
        "/admin/users",
        "/admin/users?q=138",
        "/admin/users/1",
        "/admin/audit",
        "/admin/audit?type=login.succeeded&mobile=13800138000&user_id=1&ip=127.0.0.1"
        "&since=2020-01-01T00:00&until=2099-01-01T00:00",
        "/admin/sms",
        "/admin/login",
        "/admin/setup",
        "/admin/webhooks",
    ):
        response = admin.http.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "<script>" not in response.get_data(as_text=True)  # only src= scripts and JSON data blocks


def test_the_console_cookie_is_its_own(app, admin):
    response = admin.sign_in(admin.recovery_codes[0])
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("accounts_admin=") and "Path=/admin" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Expires" not in cookie  # no 记住我: it ends with the browser
    value = cookie.split(";")[0].split("=", 1)[1]
    user_browser = app.test_client()
    user_browser.set_cookie("session", value)  # the same key signs it, but a console cookie is no user session
    assert user_browser.get("/profile").status_code == 302
    stranger = app.test_client()
    stranger.set_cookie("accounts_admin", value, path="/admin")
    assert stranger.get("/admin/").status_code == 200  # the cookie is the session (that is what HttpOnly guards)


def test_sign_out_ends_the_session_for_good(app, admin):
    copied = admin.http.get_cookie("accounts_admin", path="/admin").value
    assert admin.post("/admin/api/logout").get_json()["code"] == 0
    replay = app.test_client()
    replay.set_cookie("accounts_admin", copied, path="/admin")
    assert replay.get("/admin/").status_code == 302


def test_the_session_idles_out_after_thirty_minutes_and_ends_after_eight_hours(app):
    # A frozen clock: a ticking one loses the real time that passed before each tick(), so on a slow machine the
    # 1801 seconds after sign-in came out shorter than the idle limit.
    with freeze_time("2026-03-01 08:00:00") as clock:
        operator = Operator(app)
        assert operator.sign_in().status_code == 200
        clock.tick(1801)
        assert operator.http.get("/admin/").status_code == 302
        assert operator.sign_in(operator.totp.at(time.time() + 30)).status_code == 200
        for _ in range(24):
            assert operator.http.get("/admin/users").status_code == 200
            clock.tick(20 * 60)
        clock.tick(1)  # now 8 hours and a second after that sign-in, though active every 20 minutes
        assert operator.http.get("/admin/users").status_code == 302


@pytest.mark.parametrize("action", ACTIONS)
def test_an_auditor_gets_403_forbidden_for_every_action(auditor, user_id, action):
    response = auditor.post(f"/admin/api/users/{user_id}/{action}")
    assert response.status_code == 403
    assert response.get_json() == {
        "code": 403,
        "error": "forbidden",
        "message": "您的角色无权执行此操作",
        "field": None,
    }
    page = auditor.http.get("/admin/audit?type=admin.action_refused").get_data(as_text=True)
    assert "越权操作被拒绝" in page and f"action={'view_mobile' if action == 'mobile' else action}" in page


@pytest.mark.parametrize("action", ACTIONS)
def test_an_admin_may_do_every_action_and_finds_it_in_the_audit_log(admin, user_id, action):
    if action == "enable":
        admin.post(f"/admin/api/users/{user_id}/disable")
    response = admin.post(f"/admin/api/users/{user_id}/{action}")
    assert response.status_code == 200 and response.get_json()["code"] == 0
    event = {
        "mobile": "admin.mobile_viewed",
        "unlock": None,
        "disable": "admin.user_disabled",
        "enable": "admin.user_enabled",
        "end_sessions": "admin.sessions_ended",
    }[action]
    if event:
        page = admin.http.get(f"/admin/audit?type={event}&user_id={user_id}").get_data(as_text=True)
        assert "操作员 wang" in page and f'href="/admin/users/{user_id}"' in page


def test_reveal_mobile_answers_the_full_number_lists_mask_it(admin, user_id):
    assert "138****8000" in admin.http.get("/admin/users").get_data(as_text=True)
    assert "13800138000" not in admin.http.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert admin.post(f"/admin/api/users/{user_id}/mobile").get_json()["mobile"] == "13800138000"


def test_an_auditor_finds_a_user_only_by_the_whole_mobile_and_reads_filters_masked(admin, auditor, client, user_id):
    client.register("13800138001")
    for prefix in ("138", "1380013", "1380013800"):
        page = auditor.http.get(f"/admin/users?q={prefix}").get_data(as_text=True)
        assert 'href="/admin/users/' not in page, prefix  # no row: a prefix narrows nothing for an auditor
    page = auditor.http.get("/admin/users?q=13800138001").get_data(as_text=True)
    assert 'href="/admin/users/2"' in page and 'href="/admin/users/1"' not in page
    admin_page = admin.http.get("/admin/users?q=1380013").get_data(as_text=True)
    assert 'href="/admin/users/1"' in admin_page and 'href="/admin/users/2"' in admin_page  # the admin may
    assert admin.http.get("/admin/audit.csv?mobile=13800138000").status_code == 200
    for reader, shown in ((auditor, "138****8000"), (admin, "13800138000")):
        audit = reader.http.get("/admin/audit?type=admin.audit_exported").get_data(as_text=True)
        assert "后台：导出审计日志" in audit and f'filters={{"mobile": "{shown}"}}' in audit
    assert "13800138000" not in auditor.http.get("/admin/audit").get_data(as_text=True)


def test_console_reads_are_limited_per_operator_with_the_wait_in_the_error_shape(make_app):
    # Frozen at the real time: the memory storage expires entries from a thread, which freezegun leaves on the
    # real clock (threading is on its ignore list); a clock frozen in the past would let that thread drop them.
    with freeze_time(datetime.now(UTC)) as clock:
        app = make_app(RULES={"console_reads_per_minute": 4})
        wang, zhao = Operator(app), Operator(app, "zhao", "auditor")
        assert wang.sign_in().status_code == 200 and zhao.sign_in().status_code == 200  # one read each
        for _ in range(3):
            assert wang.http.get("/admin/users").status_code == 200
        refused = wang.http.get("/admin/users?q=138", headers={"Accept": "application/json"})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
        assert refused.get_json() == {
            "code": 429,
            "error": "console_reads_limited",
            "message": "查询太频繁，请 60 秒后再试",
            "field": None,
            "retry_after": 60,
        }
        assert wang.http.get("/admin/audit.csv").status_code == 429  # the export is a read too
        assert zhao.http.get("/admin/users").status_code == 200  # per operator: the other reads on
        assert wang.post("/admin/api/users/1/unlock").status_code == 404  # actions have their own limit
        clock.tick(61)
        assert wang.http.get("/admin/users").status_code == 200


def test_unlocked_user_signs_in_again(admin, client, user_id):
    for _ in range(5):
        client.login("13800138000", password="wrong-Passw0rd")
    assert client.login("13800138000").get_json()["error"] == "bad_credentials"  # locked, and not told so
    assert admin.post(f"/admin/api/users/{user_id}/unlock").get_json()["message"] == "已解锁"
    assert client.login("13800138000").status_code == 200
    assert admin.post(f"/admin/api/users/{user_id}/unlock").get_json()["message"] == "该账号未被锁定"


def test_a_disabled_user_is_signed_out_and_told_why_at_sign_in(admin, client, user_id):
    assert client.login("13800138000").status_code == 200
    assert client.get("/profile").status_code == 200
    admin.post(f"/admin/api/users/{user_id}/disable")
    assert client.get("/profile").status_code == 302
    refused = client.login("13800138000")
    assert refused.status_code == 403
    assert refused.get_json() == {
        "code": 403,
        "error": "account_disabled",
        "message": "该账号已被停用，如有疑问请联系客服",
        "field": None,
    }


def test_actions_on_an_unknown_user_are_404_in_the_error_shape(admin):
    response = admin.post("/admin/api/users/999/disable")
    assert (response.status_code, response.get_json()["error"]) == (404, "not_found")
    assert admin.http.get("/admin/users/999", headers={"Accept": "text/html"}).status_code == 404


def test_a_post_without_the_csrf_token_is_refused(admin, user_id):
    response = admin.http.post(f"/admin/api/users/{user_id}/disable", json={})
    assert (response.status_code, response.get_json()["error"]) == (400, "csrf_invalid")


def test_bad_filters_are_400_not_500(admin):
    for query in ("type=nope", "mobile=123", "user_id=abc", "since=yesterday"):
        response = admin.http.get(f"/admin/audit?{query}")
        assert response.status_code == 400, query


def test_sign_in_failures_are_generic_and_recorded(app, admin):
    response = admin.post("/admin/api/login", {"username": "wang", "password": PASSWORD, "code": "000000"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "用户名、密码或动态验证码错误"
    assert admin.sign_in(admin.recovery_codes[0]).status_code == 200
    assert admin.sign_in(admin.recovery_codes[0]).status_code == 401  # once
    assert admin.sign_in(admin.recovery_codes[1]).status_code == 200
    page = admin.http.get("/admin/audit?type=admin.sign_in_failed").get_data(as_text=True)
    assert "后台：登录失败" in page and "原因 密码错误" in page


def test_csv_export_is_utf8_with_bom_masked_formula_safe_and_audited(admin, client, user_id):
    client.post("/api/account/nickname", {"nickname": '=HYPERLINK("x")'})
    client.login("13800138000")
    client.post("/api/account/nickname", {"nickname": '=HYPERLINK("x")'})
    response = admin.http.get("/admin/audit.csv?user_id=1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0][:3] == ["时间（北京时间）", "事件", "类型"]
    types = [row[2] for row in table[1:]]
    assert "user.registered" in types and "nickname.changed" in types
    assert all(row[4] in ("", "138****8000") for row in table[1:])
    assert "13800138000" not in body.decode("utf-8-sig")
    nickname_row = next(row for row in table[1:] if row[2] == "nickname.changed")
    assert "HYPERLINK" in nickname_row[8] and not nickname_row[8].startswith("=")
    audit = admin.http.get("/admin/audit?type=admin.audit_exported").get_data(as_text=True)
    assert "后台：导出审计日志" in audit and "rows=" in audit


def test_the_dashboard_embeds_its_numbers_as_data_not_script(admin, client):
    client.register("13800138001")
    page = admin.http.get("/admin/").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S).group(1)
    import json

    chart = json.loads(data)
    assert len(chart["days"]) == 30 and chart["series"]["registrations"][-1] == 1
    assert 'id="total-registrations">1<' in page


def test_admin_at_the_bare_prefix_goes_to_the_console(admin):
    response = admin.http.get("/admin")
    assert response.status_code in (301, 302, 308) and response.headers["Location"].endswith("/admin/")


def test_the_console_answers_conform_to_the_api_contract(app, client):
    from tests.integration.test_openapi import assert_conforms

    client.register("13800138000")
    anonymous = Operator.__new__(Operator)  # a browser with no console session
    anonymous.app, anonymous.http, anonymous.token = app, app.test_client(), None
    link = app.extensions["services"].admin.create_operator("wang", "admin", ClientContext())
    for path in ("/admin/api/setup/start", "/admin/api/setup/finish"):
        assert_conforms("POST", path, anonymous.post(path, {"token": "nope"}))  # 400 invalid_input or setup_link
    started = anonymous.post("/admin/api/setup/start", {"token": link.token})
    assert assert_conforms("POST", "/admin/api/setup/start", started)["username"] == "wang"
    totp = pyotp.TOTP(started.get_json()["key"].replace(" ", ""))
    wrong = anonymous.post(
        "/admin/api/setup/finish",
        {"token": link.token, "password": PASSWORD, "confirmPassword": PASSWORD, "code": "12345"},
    )
    assert assert_conforms("POST", "/admin/api/setup/finish", wrong)["error"] == "totp_invalid"
    finished = anonymous.post(
        "/admin/api/setup/finish",
        {"token": link.token, "password": PASSWORD, "confirmPassword": PASSWORD, "code": totp.now()},
    )
    assert len(assert_conforms("POST", "/admin/api/setup/finish", finished)["recovery_codes"]) == 10
    for action in ACTIONS:
        assert_conforms(
            "POST", f"/admin/api/users/{{user_id}}/{action}", anonymous.post(f"/admin/api/users/1/{action}")
        )  # 401
    assert_conforms("POST", "/admin/api/logout", anonymous.post("/admin/api/logout"))  # 401
    refused = anonymous.post("/admin/api/login", {"username": "wang", "password": "nope", "code": "1"})
    assert assert_conforms("POST", "/admin/api/login", refused)["error"] == "bad_credentials"
    assert_conforms("POST", "/admin/api/login", anonymous.post("/admin/api/login", {"username": 1}))

    admin = anonymous
    admin.username, admin.totp = "wang", totp
    signed_in = admin.sign_in()
    assert assert_conforms("POST", "/admin/api/login", signed_in)["role"] == "admin"
    for action in ACTIONS:
        if action == "enable":
            admin.post("/admin/api/users/1/disable")
        assert (
            assert_conforms(
                "POST", f"/admin/api/users/{{user_id}}/{action}", admin.post(f"/admin/api/users/1/{action}")
            )["code"]
            == 0
        )
        missing = admin.post(f"/admin/api/users/{2**64}/{action}")
        assert assert_conforms("POST", f"/admin/api/users/{{user_id}}/{action}", missing)["error"] == "not_found"
    unsigned = admin.http.post("/admin/api/users/1/unlock", json={})
    assert assert_conforms("POST", "/admin/api/users/{user_id}/unlock", unsigned)["error"] == "csrf_invalid"
    assert assert_conforms("POST", "/admin/api/logout", admin.post("/admin/api/logout"))["code"] == 0

    auditor = Operator(app, "zhao", "auditor")
    auditor.sign_in()
    for action in ACTIONS:
        forbidden = auditor.post(f"/admin/api/users/1/{action}")
        assert assert_conforms("POST", f"/admin/api/users/{{user_id}}/{action}", forbidden)["error"] == "forbidden"
    for _ in range(4):
        auditor.post("/admin/api/login", {"username": "zhao", "password": "wrong", "code": "000000"})
    locked = auditor.post("/admin/api/login", {"username": "zhao", "password": "wrong", "code": "000000"})
    assert assert_conforms("POST", "/admin/api/login", locked)["error"] == "bad_credentials"  # the lock is not told


# --- 申诉: an admin changes a user's mobile, on every database ---------------------------------------------------


@pytest.fixture
def appeal_app(make_app, database_url):
    return make_app(database_url)


def id_of(app, mobile: str) -> int:
    from sqlalchemy import select

    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.tables import users

    engine = make_engine(app.config["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(select(users.c.id).where(users.c.mobile == mobile)).scalar_one()
    finally:
        engine.dispose()


def test_an_appeal_moves_the_account_ends_its_sessions_and_is_audited(appeal_app, sms, captcha):
    from tests.conftest import ApiClient
    from tests.integration.test_openapi import assert_conforms

    user = ApiClient(appeal_app, sms, captcha)
    assert user.register("13800138000").status_code == 200
    assert user.login("13800138000").status_code == 200
    assert user.register("13700137000").status_code == 200  # Bob's number
    admin, auditor = Operator(appeal_app), Operator(appeal_app, "zhao", "auditor")
    assert admin.sign_in().status_code == 200 and auditor.sign_in().status_code == 200
    user_id = id_of(appeal_app, "13800138000")  # a server's sequences go on across the run's tests: not always 1
    path = f"/admin/api/users/{user_id}/change_mobile"
    reason = "工单 1207-001：身份证与注册信息一致，原号码已销号"

    refused = auditor.post(path, {"mobile": "13900139000", "reason": reason})
    assert assert_conforms("POST", "/admin/api/users/{user_id}/change_mobile", refused)["error"] == "forbidden"
    for body, status, slug in (
        ({"mobile": "13900139000", "reason": " "}, 400, "invalid_input"),
        ({"mobile": "13900139000"}, 400, "invalid_input"),
        ({"mobile": "139", "reason": reason}, 400, "invalid_mobile"),
        ({"mobile": "13800138000", "reason": reason}, 400, "mobile_unchanged"),
        ({"mobile": "13700137000", "reason": reason}, 409, "mobile_in_use"),
    ):
        answer = admin.post(path, body)
        assert answer.status_code == status and answer.get_json()["error"] == slug, answer.get_json()
        assert_conforms("POST", "/admin/api/users/{user_id}/change_mobile", answer)
    assert user.get("/api/account/sessions").status_code == 200  # nothing changed yet

    changed = admin.post(path, {"mobile": "13900139000", "reason": reason})
    assert assert_conforms("POST", "/admin/api/users/{user_id}/change_mobile", changed)["message"] == (
        "手机号已更换，该用户的所有会话已结束"
    )
    assert user.get("/api/account/sessions").status_code == 401  # every session of the user ended
    assert user.login("13900139000").status_code == 200 and user.login("13800138000").status_code == 401
    page = admin.http.get(f"/admin/audit?type=admin.user_mobile_changed&user_id={user_id}").get_data(as_text=True)
    assert "操作员 wang" in page and "工单 1207-001" in page and "13900139000" not in page
    own = admin.http.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'id="change-mobile-form"' in own
    assert 'id="change-mobile-form"' not in auditor.http.get(f"/admin/users/{user_id}").get_data(as_text=True)
