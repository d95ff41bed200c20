"""The pages in a real browser: what a person sees and does, end to end.

Each test stays well under the 30 requests a minute that one IP may make to /api/* and /get_captcha:
set-up the test is not about goes through the API from another IP (Live.register_user).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.helpers import (
    NEW_PASSWORD,
    banner,
    confirm_dialog,
    expect_signed_out,
    field_error,
    login_url,
    open_user_menu,
    request_sms,
    sign_in,
    solve_captcha,
)

pytestmark = pytest.mark.browser


def test_register_sign_in_profile_and_sign_out(open_page, live):
    page = open_page()
    mobile, nickname = "13800138001", "小明同学"

    page.goto(live.url("/"))
    expect(page.locator(".welcome-title")).to_have_text("欢迎来到账号中心")
    page.click(".site-account >> text=注册")
    expect(page).to_have_url(live.url("/register"))

    page.fill("input[name=nickname]", nickname)
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirmPassword]", PASSWORD)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    assert request_sms(page, "#reg-get-vercode").ok
    expect(banner(page, "notice")).to_contain_text("验证码已发送")
    expect(page.locator("input[name=vercode]")).to_be_focused()
    page.fill("input[name=vercode]", live.sms.last_code(mobile, "register"))
    page.check("input[name=agreement]")
    page.click("button[lay-filter=reg-submit]")
    page.wait_for_url(live.url("/login"))
    # on /login: told what happened, the mobile filled in, the cursor in the password
    expect(banner(page, "notice")).to_contain_text("注册成功")
    expect(page.locator("input[name=mobile]")).to_have_value(mobile)
    expect(page.locator("input[name=password]")).to_be_focused()

    # one wrong password first: the profile lists it as a failure, in Chinese
    wrong = sign_in(page, live, mobile, "not-the-password", succeed=False)
    assert wrong.status == 401
    expect(banner(page)).to_contain_text("手机号或密码错误")
    expect(page.locator("input[name=password]")).to_be_focused()
    sign_in(page, live, mobile)
    expect(page.locator(".welcome-title")).to_have_text(f"欢迎回来，{nickname}")
    expect(page.locator(".nav-user-name")).to_have_text(nickname)

    open_user_menu(page)
    page.click(".user-menu >> text=个人中心")
    expect(page).to_have_url(live.url("/profile"))
    expect(page.locator("#profile-nickname")).to_have_text(nickname)
    expect(page.locator("#profile-mobile")).to_have_text("138****8001")
    expect(page.locator("#profile-member-since")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"))
    rows = page.locator("#sign-in-table tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.nth(0).locator("td")
    expect(newest.nth(1)).to_have_text("成功")
    expect(newest.nth(2)).to_have_text("127.0.0.1")
    expect(newest.nth(3)).to_contain_text("/ Linux")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("失败（密码错误）")

    # 退出 asks first; 取消 keeps the session
    open_user_menu(page)
    page.click("#logout-link")
    expect(confirm_dialog(page)).to_contain_text("确定要退出登录吗？")
    confirm_dialog(page).locator(".layui-layer-btn1").click()
    expect(confirm_dialog(page)).to_have_count(0)
    expect(page.locator(".nav-user")).to_have_count(1)

    open_user_menu(page)
    page.click("#logout-link")
    with page.expect_response("**/api/logout"):
        confirm_dialog(page).locator(".layui-layer-btn0").click()
    page.wait_for_url(live.url("/"))
    expect(page.locator(".welcome-title")).to_have_text("欢迎来到账号中心")
    expect(page.locator(".site-account")).to_contain_text("登录")
    expect(page.locator(".nav-user")).to_have_count(0)
    expect_signed_out(page, live)


def test_buttons_say_what_they_are_doing(open_page, live):
    """登录中… while the request is out; the label comes back after a refusal."""
    live.register_user("13800138014")
    page = open_page()
    page.goto(live.url("/login"))
    held = []
    page.route("**/api/login", lambda route: held.append(route))  # the answer waits until we let it go
    page.fill("input[name=mobile]", "13800138014")
    page.fill("input[name=password]", "not-the-password")
    page.fill("input[name=captcha]", solve_captcha(page, live))
    button = page.locator("button[lay-filter=login-submit]")
    button.click()
    expect(button).to_have_text("登录中…")
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("aria-busy", "true")
    for _ in range(100):  # pump Playwright's events until the held request reaches the handler
        if held:
            break
        page.wait_for_timeout(50)
    with page.expect_response("**/api/login"):
        held[0].continue_()
    expect(banner(page)).to_contain_text("手机号或密码错误")
    expect(button).to_have_text("登录")
    expect(button).to_be_enabled()


def test_forgot_password_ends_other_sessions(open_page, live):
    mobile = "13800138002"
    live.register_user(mobile)
    other = open_page()  # a second browser, signed in before the reset
    sign_in(other, live, mobile)

    page = open_page()
    page.goto(live.url("/login"))
    page.click("text=忘记密码？")
    expect(page).to_have_url(live.url("/forgot-password"))
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirmPassword]", NEW_PASSWORD)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    assert request_sms(page, "#forgot-get-vercode").ok
    expect(page.locator("input[name=captcha]")).to_have_value("")  # a new captcha after every attempt
    page.fill("input[name=vercode]", live.sms.last_code(mobile, "reset_password"))
    with page.expect_response("**/api/reset_password") as answer:
        page.press("input[name=vercode]", "Enter")
    assert answer.value.ok
    page.wait_for_url(live.url("/login"))
    expect(banner(page, "notice")).to_contain_text("密码已重置")
    expect(page.locator("input[name=mobile]")).to_have_value(mobile)

    expect_signed_out(other, live)  # the old session is gone

    assert sign_in(page, live, mobile, PASSWORD, succeed=False).status == 401  # the old password is not
    sign_in(page, live, mobile, NEW_PASSWORD)
    expect(page.locator(".nav-user-name")).to_have_text("小明")


def test_five_wrong_passwords_lock_the_account(open_page, live, screenshots):
    mobile = "13800138003"
    live.register_user(mobile)
    page = open_page()
    page.goto(live.url("/login"))

    for attempt in range(4):
        assert sign_in(page, live, mobile, f"wrong-password-{attempt}", succeed=False).status == 401
        expect(banner(page)).to_contain_text("手机号或密码错误")
    locked = sign_in(page, live, mobile, "wrong-password-4", succeed=False)
    assert locked.status == 401  # the fifth locks the account; the form answers as for a number no one holds

    # in the form's banner, read out (role=alert), never a layer over the inputs; the way out is told to everyone
    expect(banner(page)).to_contain_text("手机号或密码错误")
    expect(banner(page)).to_contain_text("验证码登录")
    expect(banner(page)).to_have_attribute("role", "alert")
    expect(page.locator(".layui-layer")).to_have_count(0)
    page.screenshot(path=str(screenshots / "login-locked-1280.png"))

    # even the right password is refused while locked
    assert sign_in(page, live, mobile, PASSWORD, succeed=False).status == 401
    expect(page).to_have_url(live.url("/login"))


def test_wrong_sms_code_is_shown_beside_the_field(open_page, live, screenshots):
    page = open_page(width=375)
    mobile = "13800138004"
    page.goto(live.url("/register"))
    page.fill("input[name=nickname]", "小红")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirmPassword]", PASSWORD)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    assert request_sms(page, "#reg-get-vercode").ok
    wrong = "000000" if live.sms.last_code(mobile) != "000000" else "111111"
    page.fill("input[name=vercode]", wrong)
    page.check("input[name=agreement]")
    submit = page.locator("button[lay-filter=reg-submit]")
    with page.expect_response("**/api/register") as answer:
        submit.click()
    assert answer.value.status == 400
    vercode = page.locator("input[name=vercode]")
    expect(field_error(page, "vercode")).to_have_text("短信验证码错误或已失效")
    expect(vercode).to_be_focused()  # focus moves to the field the message is about
    expect(vercode).to_have_attribute("aria-invalid", "true")
    expect(vercode).to_have_attribute("aria-describedby", re.compile(r"\breg-vercode-error\b"))
    expect(page.locator(".field-error")).to_have_count(1)
    expect(submit).to_be_enabled()
    expect(submit).to_have_text("注册")
    page.screenshot(path=str(screenshots / "register-vercode-error-375.png"), full_page=True)
    page.fill("input[name=vercode]", "1")  # typing clears the message
    expect(field_error(page, "vercode")).to_have_count(0)

    # the same on 忘记密码
    live.register_user("13800138005")
    page.goto(live.url("/forgot-password"))
    page.fill("input[name=mobile]", "13800138005")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirmPassword]", NEW_PASSWORD)
    page.fill("input[name=vercode]", "000000")  # no captcha needed to submit: the SMS code proves the mobile
    with page.expect_response("**/api/reset_password") as answer:
        page.click("button[lay-filter=forgot-submit]")
    assert answer.value.status == 400
    expect(field_error(page, "vercode")).to_have_text("短信验证码错误或已失效")
    expect(page.locator("button[lay-filter=forgot-submit]")).to_be_enabled()


def test_a_browser_check_shows_beside_the_field_and_sends_nothing(open_page, live):
    page = open_page(width=375)
    page.goto(live.url("/register"))
    api_calls = []
    page.on("request", lambda request: api_calls.append(request.url) if "/api/" in request.url else None)
    page.fill("input[name=nickname]", "小红")
    page.fill("input[name=mobile]", "12345")
    page.click("button[lay-filter=reg-submit]")
    mobile = page.locator("input[name=mobile]")
    expect(field_error(page, "mobile")).to_have_text("手机号格式不正确，请填写 11 位手机号")
    expect(mobile).to_be_focused()
    expect(page.locator(".layui-layer")).to_have_count(0)  # no toast over the inputs
    # the password check in the page uses the server's limits (page-rules), not numbers of its own
    page.fill("input[name=mobile]", "13800138011")
    page.fill("input[name=password]", "short")
    page.click("button[lay-filter=reg-submit]")
    expect(field_error(page, "password")).to_have_text("密码须为 8-128 个字符")
    assert api_calls == []


def test_a_common_password_is_refused_before_any_sms_is_sent(open_page, live):
    page = open_page()
    mobile = "13800138012"
    page.goto(live.url("/register"))
    page.fill("input[name=nickname]", "小红")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", "password123")
    with page.expect_response("**/api/check_password") as answer:
        page.fill("input[name=confirmPassword]", "password123")  # leaving the password field asks the server
    assert answer.value.status == 400
    expect(field_error(page, "password")).to_contain_text("密码过于常见")

    page.fill("input[name=captcha]", solve_captcha(page, live))
    page.click("#reg-get-vercode")  # checked again before sending (the answer is remembered): no SMS
    expect(page.locator("input[name=password]")).to_be_focused()  # the refusal is in: the send has stopped
    expect(field_error(page, "password")).to_contain_text("密码过于常见")
    assert live.sms.sent == []

    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirmPassword]", PASSWORD)
    expect(page.locator(".password-strength")).to_have_text("密码强度：强")
    assert request_sms(page, "#reg-get-vercode").ok
    assert [m for m, _, _ in live.sms.sent] == [mobile]


@pytest.mark.parametrize(
    "path, button, key, registered",
    [
        ("/register", "#reg-get-vercode", "sms-countdown-until:register", False),
        ("/forgot-password", "#forgot-get-vercode", "sms-countdown-until:reset_password", True),
    ],
)
def test_sms_countdown_survives_reload(open_page, live, path, button, key, registered):
    mobile = "13800138006"
    if registered:
        live.register_user(mobile)
    page = open_page()
    page.goto(live.url(path))
    sms_button = page.locator(button)
    expect(sms_button).to_have_text("获取验证码")
    if page.locator("input[name=nickname]").count():
        page.fill("input[name=nickname]", "小红")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirmPassword]", NEW_PASSWORD)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    before = int(time.time() * 1000)
    assert request_sms(page, button).ok
    expect(sms_button).to_have_text(re.compile(r"^(60|59|58) 秒后重发$"))  # the cooldown of domain/rules.py
    expect(sms_button).to_be_disabled()
    until = int(page.evaluate("k => localStorage.getItem(k)", key))
    assert before + 60_000 <= until <= time.time() * 1000 + 60_000  # 60 s from the moment the code was sent

    page.reload()
    expect(sms_button).to_have_text(re.compile(r"^\d{1,2} 秒后重发$"))
    expect(sms_button).to_be_disabled()
    sent = len(live.sms.sent)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    sms_button.click(force=True)  # a click on the disabled button sends nothing...
    with page.expect_request("**/get_captcha*"):
        page.click(".captcha-refresh")  # ...as the next request, which follows it, shows
    assert [url for url in requests if "/api/" in url] == []
    assert len(live.sms.sent) == sent

    # when the time is up the button comes back
    page.evaluate("k => localStorage.setItem(k, String(Date.now() + 1500))", key)
    page.reload()
    expect(sms_button).to_be_disabled()
    expect(sms_button).to_have_text("获取验证码", timeout=5_000)
    expect(sms_button).to_be_enabled()
    assert page.evaluate("k => localStorage.getItem(k)", key) is None


def test_settings_nickname_and_sign_out_everywhere(open_page, live):
    mobile = "13800138007"
    live.register_user(mobile, nickname="小明")
    page = open_page()
    sign_in(page, live, mobile)
    other = open_page()
    sign_in(other, live, mobile)
    other.goto(live.url("/settings"))

    open_user_menu(page)
    page.click(".user-menu >> text=设置")
    expect(page).to_have_url(live.url("/settings"))
    nickname_input = page.locator("input[name=nickname]")
    expect(nickname_input).to_have_value("小明")

    new_nickname = "<b>小明&amp;</b>"  # shown as text, never as markup
    nickname_input.fill(new_nickname)
    with page.expect_response("**/api/account/nickname") as answer:
        nickname_input.press("Enter")  # Enter submits
    assert answer.value.ok
    message = page.locator("#nickname-form [data-banner=notice]")
    expect(message).to_have_text(f"昵称已修改为：{new_nickname}")
    expect(message.locator("b")).to_have_count(0)
    expect(page.locator(".nav-user-name")).to_have_text(new_nickname)
    expect(nickname_input).to_have_value(new_nickname)

    page.goto(live.url("/"))
    expect(page.locator(".welcome-title")).to_have_text(f"欢迎回来，{new_nickname}")
    expect(page.locator(".welcome-title b")).to_have_count(0)

    # an invalid nickname: the message sits beside the field
    page.goto(live.url("/settings"))
    expect(nickname_input).to_have_value(new_nickname)
    nickname_input.fill("a\u202eb")
    page.click("button[lay-filter=nickname-submit]")
    expect(field_error(page, "nickname")).to_contain_text("昵称须为 1-32 个字符")

    # 退出所有设备: asks first, then this browser goes to /login and so does the other one
    page.click("#sign-out-everywhere")
    confirm = confirm_dialog(page)
    expect(confirm).to_contain_text("所有设备")
    expect(confirm.locator(".layui-layer-btn0")).to_be_focused()
    page.keyboard.press("Escape")  # Esc is 取消: nothing happens
    expect(confirm).to_have_count(0)
    expect(page.locator("#sign-out-everywhere")).to_be_focused()  # focus comes back
    page.goto(live.url("/profile"))
    expect(page).to_have_url(live.url("/profile"))
    page.goto(live.url("/settings"))
    page.click("#sign-out-everywhere")
    with page.expect_response("**/api/account/sign_out_everywhere") as answer:
        confirm_dialog(page).locator(".layui-layer-btn0").click()
    assert answer.value.ok
    page.wait_for_url(live.url("/login"))
    expect(banner(page, "notice")).to_contain_text("已在所有设备上退出登录")
    expect_signed_out(page, live)

    # the other browser still shows 设置; its next request finds the session gone and goes to /login
    other.locator("input[name=nickname]").fill("另一个昵称")
    with other.expect_response("**/api/account/nickname") as answer:
        other.click("button[lay-filter=nickname-submit]")
    assert answer.value.status == 401
    other.wait_for_url(login_url(live, "/settings"))
    expect_signed_out(other, live)


def test_settings_change_password_keeps_this_browser(open_page, live):
    mobile = "13800138008"
    live.register_user(mobile)
    page = open_page()
    sign_in(page, live, mobile)
    other = open_page()
    sign_in(other, live, mobile)

    page.goto(live.url("/settings"))
    page.fill("#password-form input[name=currentPassword]", "not-my-password")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirmPassword]", NEW_PASSWORD)
    with page.expect_response("**/api/account/password") as answer:
        page.press("input[name=confirmPassword]", "Enter")
    assert answer.value.status == 400
    expect(field_error(page, "currentPassword")).to_have_text("当前密码不正确")
    expect(page.locator("#password-form input[name=currentPassword]")).to_be_focused()

    page.fill("#password-form input[name=currentPassword]", PASSWORD)
    button = page.locator("button[lay-filter=password-submit]")
    with page.expect_navigation():  # the page reloads with this browser's new session
        with page.expect_response("**/api/account/password") as answer:
            button.click()
    assert answer.value.ok
    expect(page).to_have_url(live.url("/settings"))
    expect(page.locator("#password-form [data-banner=notice]")).to_have_text("密码已修改，其他设备已退出登录")
    expect(page.locator("#password-form input[name=currentPassword]")).to_have_value("")

    # still signed in here, and the new session's page works
    page.locator("input[name=nickname]").fill("改过密码")
    with page.expect_response("**/api/account/nickname") as answer:
        page.click("button[lay-filter=nickname-submit]")
    assert answer.value.ok
    expect_signed_out(other, live)


def test_remember_me_cookie_and_the_right_autocomplete(open_page, live):
    mobile = "13800138009"
    live.register_user(mobile)

    remembered = open_page()
    sign_in(remembered, live, mobile, remember=True)
    cookie = next(c for c in remembered.context.cookies() if c["name"] == "session")
    days_ahead = (cookie["expires"] - time.time()) / 86400
    assert 29.9 < days_ahead <= 30.01, cookie
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    forgotten = open_page()
    sign_in(forgotten, live, mobile, remember=False)
    cookie = next(c for c in forgotten.context.cookies() if c["name"] == "session")
    assert cookie["expires"] == -1, cookie  # a session cookie: gone when the browser closes

    # password managers and phones get what they need: tel, one-time-code, new- and current-password;
    # the captcha is never remembered; no page arrives with a password filled in
    anonymous = open_page()
    expected = {
        "/register": {
            "nickname": "nickname",
            "mobile": "tel",
            "password": "new-password",
            "confirmPassword": "new-password",
            "captcha": "off",
            "vercode": "one-time-code",
            "agreement": None,
        },
        "/login": {
            "mobile": "tel",
            "password": "current-password",
            "captcha": "off",
            "vercode": "one-time-code",
            "agreement": None,
            "remember": None,
        },
        "/forgot-password": {
            "mobile": "tel",
            "password": "new-password",
            "confirmPassword": "new-password",
            "captcha": "off",
            "vercode": "one-time-code",
        },
        "/settings": {
            "nickname": "nickname",
            "currentPassword": "current-password",
            "password": "new-password",
            "confirmPassword": "new-password",
            "mobile": "tel",
            "captcha": "off",
            "currentVercode": "one-time-code",
            "vercode": "one-time-code",
        },  # the last five: 换绑手机号 (its currentPassword as above), a code to the current mobile and to the new one
    }
    for path, fields in expected.items():
        page = forgotten if path == "/settings" else anonymous
        page.goto(live.url(path))
        found = page.eval_on_selector_all(
            "main input", "inputs => Object.fromEntries(inputs.map(i => [i.name, i.getAttribute('autocomplete')]))"
        )
        assert found == fields, path
        for i in range(page.locator("input[type=password]").count()):
            assert page.locator("input[type=password]").nth(i).input_value() == "", (path, i)
