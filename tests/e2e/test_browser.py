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

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Xinmima-2025#"
WIDTHS = (1280, 375)
_used_captchas: dict[int, set[str]] = {}


# --- helpers ------------------------------------------------------------------------------------


def solve_captcha(page, live) -> str:
    """The text of the captcha now shown: waits for a new image (not one already submitted) to load."""
    used = _used_captchas.setdefault(id(page), set())
    handle = page.wait_for_function(
        """used => {
            const img = document.getElementById('captcha-image');
            const id = img && img.dataset.uuid;
            if (!id || used.includes(id) || img.src.indexOf(id) === -1) return null;
            return img.complete && img.naturalWidth > 0 ? id : null;
        }""",
        arg=sorted(used),
    )
    captcha_uuid = handle.json_value()
    used.add(captcha_uuid)
    return live.captcha.text_for(captcha_uuid)


def layer_message(page):
    """The newest layui layer (msg or alert) content."""
    return page.locator(".layui-layer-content").last


def field_error(page, name: str):
    """The .field-error shown in the form item of the field with this name."""
    return page.locator(f".layui-form-item:has([name='{name}']) .field-error")


def sign_in(page, live, mobile: str, password: str = PASSWORD, *, remember: bool = False, succeed: bool = True):
    if not page.url.startswith(live.url("/login")):
        page.goto(live.url("/login"))
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    checkbox = page.locator("input[name=remember] + .layui-form-checkbox")
    if remember != ("layui-form-checked" in (checkbox.get_attribute("class") or "")):
        checkbox.click()
    with page.expect_response("**/api/login") as answer:
        page.press("input[name=captcha]", "Enter")  # Enter submits
    if succeed:
        page.wait_for_url(live.url("/"))
    return answer.value


def open_user_menu(page) -> None:
    page.click(".nav-user")
    expect(page.locator(".layui-layout-right .layui-nav-child")).to_be_visible()


def request_sms(page, button: str):
    with page.expect_response("**/api/send_*_sms") as answer:
        page.click(button)
    return answer.value


def login_url(live, next_path: str) -> re.Pattern:
    """/login?next=<next_path>, the slashes in next escaped or not."""
    escaped = "".join(f"(?:{re.escape(ch)}|%2F)" if ch == "/" else re.escape(ch) for ch in next_path)
    return re.compile(re.escape(live.url("/login?next=")) + escaped + "$")


def expect_signed_out(page, live, path: str = "/profile") -> None:
    page.goto(live.url(path))
    expect(page).to_have_url(login_url(live, path))


def no_horizontal_overflow(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the {page.viewport_size['width']}px window"


# --- scenarios ----------------------------------------------------------------------------------


def test_register_sign_in_profile_and_sign_out(open_page, live):
    page = open_page()
    mobile, nickname = "13800138001", "小明同学"

    page.goto(live.url("/"))
    expect(page.locator(".welcome-title")).to_have_text("欢迎来到正心全栈编程")
    page.click(".layui-layout-right >> text=注册")
    expect(page).to_have_url(live.url("/register"))

    page.fill("input[name=nickname]", nickname)
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    assert request_sms(page, "#reg-get-vercode").ok
    expect(layer_message(page)).to_contain_text("验证码已发送")
    page.fill("input[name=vercode]", live.sms.last_code(mobile, "register"))
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirmPassword]", PASSWORD)
    page.click("input[name=agreement] + .layui-form-checkbox")
    page.click("button[lay-filter=reg-submit]")
    expect(layer_message(page)).to_contain_text("注册成功")
    page.wait_for_url(live.url("/login"))

    # one wrong password first: the profile lists it as a failure, in Chinese
    wrong = sign_in(page, live, mobile, "not-the-password", succeed=False)
    assert wrong.status == 401
    expect(layer_message(page)).to_contain_text("手机号或密码错误")
    sign_in(page, live, mobile)
    expect(page.locator(".welcome-title")).to_have_text(f"欢迎回来，{nickname}")
    expect(page.locator(".nav-user-name")).to_have_text(nickname)

    open_user_menu(page)
    page.click(".layui-nav-child >> text=个人中心")
    expect(page).to_have_url(live.url("/profile"))
    expect(page.locator("#profile-nickname")).to_have_text(nickname)
    expect(page.locator("#profile-mobile")).to_have_text("138****8001")
    expect(page.locator("#profile-member-since")).to_have_text(
        re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"))
    rows = page.locator("#sign-in-table tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.nth(0).locator("td")
    expect(newest.nth(1)).to_have_text("成功")
    expect(newest.nth(2)).to_have_text("127.0.0.1")
    expect(newest.nth(3)).to_contain_text("/ Linux")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("失败（密码错误）")

    open_user_menu(page)
    page.click("#logout-link")
    page.wait_for_url(live.url("/"))
    expect(page.locator(".welcome-title")).to_have_text("欢迎来到正心全栈编程")
    expect(page.locator(".layui-layout-right")).to_contain_text("登录")
    expect(page.locator(".nav-user")).to_have_count(0)
    expect_signed_out(page, live)


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
    page.fill("input[name=captcha]", solve_captcha(page, live))
    assert request_sms(page, "#forgot-get-vercode").ok
    expect(page.locator("input[name=captcha]")).to_have_value("")  # a new captcha after every attempt
    page.fill("input[name=vercode]", live.sms.last_code(mobile, "reset_password"))
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirmPassword]", NEW_PASSWORD)
    with page.expect_response("**/api/reset_password") as answer:
        page.press("input[name=confirmPassword]", "Enter")
    assert answer.value.ok
    expect(layer_message(page)).to_contain_text("密码已重置")
    page.wait_for_url(live.url("/login"))

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
        expect(layer_message(page)).to_contain_text("手机号或密码错误")
    locked = sign_in(page, live, mobile, "wrong-password-4", succeed=False)
    assert locked.status == 423

    dialog = page.locator(".layui-layer-dialog:not(.layui-layer-msg)")
    expect(dialog.locator(".layui-layer-title")).to_have_text("帐号已锁定")
    expect(dialog.locator(".layui-layer-content")).to_contain_text("账户已锁定")
    expect(dialog.locator(".layui-layer-content")).to_contain_text("15 分钟")
    page.wait_for_timeout(400)  # layer's opening animation
    page.screenshot(path=str(screenshots / "login-locked-1280.png"))
    dialog.locator(".layui-layer-btn0").click()
    expect(dialog).to_have_count(0)

    # even the right password is refused while locked
    assert sign_in(page, live, mobile, PASSWORD, succeed=False).status == 423
    expect(page).to_have_url(live.url("/login"))


def test_wrong_sms_code_is_shown_beside_the_field(open_page, live, screenshots):
    page = open_page(width=375)
    mobile = "13800138004"
    page.goto(live.url("/register"))
    page.fill("input[name=nickname]", "小红")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    assert request_sms(page, "#reg-get-vercode").ok
    wrong = "000000" if live.sms.last_code(mobile) != "000000" else "111111"
    page.fill("input[name=vercode]", wrong)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirmPassword]", PASSWORD)
    page.click("input[name=agreement] + .layui-form-checkbox")
    submit = page.locator("button[lay-filter=reg-submit]")
    with page.expect_response("**/api/register") as answer:
        submit.click()
    assert answer.value.status == 400
    expect(field_error(page, "vercode")).to_have_text("短信验证码错误或已失效")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(submit).to_be_enabled()
    page.screenshot(path=str(screenshots / "register-vercode-error-375.png"), full_page=True)
    page.fill("input[name=vercode]", "1")  # typing clears the message
    expect(field_error(page, "vercode")).to_have_count(0)

    # the same on 忘记密码
    live.register_user("13800138005")
    page.goto(live.url("/forgot-password"))
    page.fill("input[name=mobile]", "13800138005")
    page.fill("input[name=vercode]", "000000")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirmPassword]", NEW_PASSWORD)
    with page.expect_response("**/api/reset_password") as answer:
        page.click("button[lay-filter=forgot-submit]")
    assert answer.value.status == 400
    expect(field_error(page, "vercode")).to_have_text("短信验证码错误或已失效")
    expect(page.locator("button[lay-filter=forgot-submit]")).to_be_enabled()


@pytest.mark.parametrize("path, button, key, registered", [
    ("/register", "#reg-get-vercode", "sms-countdown-until:register", False),
    ("/forgot-password", "#forgot-get-vercode", "sms-countdown-until:reset_password", True),
])
def test_sms_countdown_survives_reload(open_page, live, path, button, key, registered):
    mobile = "13800138006"
    if registered:
        live.register_user(mobile)
    page = open_page()
    page.goto(live.url(path))
    sms_button = page.locator(button)
    expect(sms_button).to_have_text("获取验证码")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    assert request_sms(page, button).ok
    sent = len(live.sms.sent)
    expect(sms_button).to_have_text(re.compile(r"^(60|59|58) 秒后重发$"))
    expect(sms_button).to_be_disabled()
    until = int(page.evaluate("k => localStorage.getItem(k)", key))
    assert 55_000 < until - time.time() * 1000 <= 60_000

    page.reload()
    expect(sms_button).to_have_text(re.compile(r"^\d{1,2} 秒后重发$"))
    expect(sms_button).to_be_disabled()
    sms_button.click(force=True)  # a click on the disabled button sends nothing
    page.wait_for_timeout(300)
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
    page.click(".layui-nav-child >> text=设置")
    expect(page).to_have_url(live.url("/settings"))
    nickname_input = page.locator("input[name=nickname]")
    expect(nickname_input).to_have_value("小明")

    new_nickname = "<b>小明&amp;</b>"  # shown as text, never as markup
    nickname_input.fill(new_nickname)
    with page.expect_response("**/api/account/nickname") as answer:
        nickname_input.press("Enter")  # Enter submits
    assert answer.value.ok
    message = layer_message(page)
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
    confirm = page.locator(".layui-layer-dialog:not(.layui-layer-msg)")
    expect(confirm).to_contain_text("所有设备")
    confirm.locator(".layui-layer-btn1").click()  # 取消 does nothing
    expect(confirm).to_have_count(0)
    page.goto(live.url("/profile"))
    expect(page).to_have_url(live.url("/profile"))
    page.goto(live.url("/settings"))
    page.click("#sign-out-everywhere")
    with page.expect_response("**/api/account/sign_out_everywhere") as answer:
        page.locator(".layui-layer-dialog .layui-layer-btn0").click()
    assert answer.value.ok
    page.wait_for_url(live.url("/login"))
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
    page.fill("input[name=currentPassword]", "not-my-password")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirmPassword]", NEW_PASSWORD)
    with page.expect_response("**/api/account/password") as answer:
        page.press("input[name=confirmPassword]", "Enter")
    assert answer.value.status == 400
    expect(field_error(page, "currentPassword")).to_have_text("当前密码不正确")

    page.fill("input[name=currentPassword]", PASSWORD)
    button = page.locator("button[lay-filter=password-submit]")
    with page.expect_response("**/api/account/password") as answer:
        button.click()
    assert answer.value.ok
    dialog = page.locator(".layui-layer-dialog")
    expect(dialog.locator(".layui-layer-content")).to_have_text("密码已修改，其他设备已退出登录")
    expect(button).to_be_disabled()
    with page.expect_navigation():
        dialog.locator(".layui-layer-btn0").click()  # the page reloads with this browser's new session
    expect(page).to_have_url(live.url("/settings"))
    expect(page.locator("input[name=currentPassword]")).to_have_value("")

    # still signed in here, and the new session's page works
    page.locator("input[name=nickname]").fill("改过密码")
    with page.expect_response("**/api/account/nickname") as answer:
        page.click("button[lay-filter=nickname-submit]")
    assert answer.value.ok
    expect_signed_out(other, live)


def test_remember_me_cookie_and_no_stored_passwords(open_page, live):
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

    # no page lets the browser store or fill in a password
    anonymous = open_page()
    for page, path in [(anonymous, "/register"), (anonymous, "/login"), (anonymous, "/forgot-password"),
                       (forgotten, "/settings")]:
        page.goto(live.url(path))
        inputs = page.locator("input[type=password]")
        assert inputs.count() >= 1, path
        for i in range(inputs.count()):
            assert inputs.nth(i).get_attribute("autocomplete") == "off", (path, i)
            assert inputs.nth(i).input_value() == "", (path, i)


ANONYMOUS_PAGES = [("index-anon", "/"), ("register", "/register"), ("login", "/login"),
                   ("forgot", "/forgot-password"), ("terms", "/terms"), ("error-404", "/no-such-page")]
SIGNED_IN_PAGES = [("index-signed-in", "/"), ("profile", "/profile"), ("settings", "/settings")]


def test_screenshots_every_page(open_page, live, screenshots):
    mobile = "13800138010"
    live.register_user(mobile, nickname="正心学员")
    anonymous = open_page()
    signed_in = open_page()
    sign_in(signed_in, live, mobile, "a-wrong-password", succeed=False)  # a failure row in the log
    sign_in(signed_in, live, mobile)

    for width in WIDTHS:
        for page, shots in [(anonymous, ANONYMOUS_PAGES), (signed_in, SIGNED_IN_PAGES)]:
            page.set_viewport_size({"width": width, "height": 800})
            for name, path in shots:
                response = page.goto(live.url(path))
                assert response.status == (404 if name == "error-404" else 200), path
                if page.locator("#captcha-image").count():
                    solve_captcha(page, live)  # waits for the image
                page.evaluate("() => document.fonts.ready")
                expect(page).to_have_title(re.compile(r".+ - 正心全栈编程$"))
                no_horizontal_overflow(page)
                page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)

    # the user menu opened, at phone width
    signed_in.goto(live.url("/profile"))
    open_user_menu(signed_in)
    signed_in.wait_for_timeout(400)  # the menu's fade-in
    signed_in.screenshot(path=str(screenshots / "menu-375.png"))
    for name, _ in ANONYMOUS_PAGES + SIGNED_IN_PAGES:
        for width in WIDTHS:
            assert (screenshots / f"{name}-{width}.png").stat().st_size > 5_000
