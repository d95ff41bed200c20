"""验证码登录 with one-step sign-up, then 设置密码 and 换绑手机号, in Chromium at 375 and 1280 px, as a new user
would use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import field_error, no_horizontal_overflow, sign_in, solve_captcha

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Xinmima-2026#"


@pytest.fixture
def app_config() -> dict:
    """No cooldown: the sign-in code, then 设置密码's or 换绑's code to the same mobile, come within a minute."""
    return {"RULES": {"sms_cooldown": timedelta(0)}}


@pytest.mark.parametrize("width", (375, 1280))
def test_sms_sign_in_signs_up_then_sets_a_password_and_changes_the_mobile(open_page, live, screenshots, width):
    mobile, new_mobile = f"1370013{width:04d}", f"1360013{width:04d}"
    page = open_page(width=width)
    page.goto(live.url("/login"))
    sms_tab, password_tab = page.locator("#tab-sms"), page.locator("#tab-password")
    if width < 768:  # phones open on 验证码登录, as big products do
        expect(sms_tab).to_have_attribute("aria-selected", "true")
        expect(page.locator("input[name=password]")).to_be_hidden()
    else:
        expect(password_tab).to_have_attribute("aria-selected", "true")
        sms_tab.click()
    expect(page.locator("input[name=vercode]")).to_be_visible()
    no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"login-sms-{width}.png"), full_page=True)

    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    with page.expect_response("**/api/send_login_sms") as sent:
        page.click("#login-get-vercode")
    assert sent.value.status == 200
    expect(page.locator("input[name=vercode]")).to_be_focused()
    page.fill("input[name=vercode]", live.sms.last_code(mobile, "login"))
    with page.expect_response("**/api/login_sms") as refused:
        page.click("button[lay-filter=login-submit]")
    assert refused.value.status == 400  # a new mobile: the agreement first, beside its box
    expect(field_error(page, "agreement")).to_contain_text("《用户协议》")
    page.check("input[name=agreement]")
    with page.expect_response("**/api/login_sms") as signed_in:
        page.click("button[lay-filter=login-submit]")
    assert signed_in.value.status == 200  # the page moves on at once: the body is gone with it
    page.wait_for_url(live.url("/"))
    expect(page.locator(".nav-user-name").first).to_have_text("用户" + mobile[-4:])

    # 设置: no password yet, so none is asked for to set the first one; a code to the account's own mobile is.
    page.goto(live.url("/settings"))
    expect(page.locator("#password-heading")).to_have_text("设置密码")
    expect(page.locator("#password-form input[name=currentPassword]")).to_have_count(0)
    expect(page.locator("#password-mobile")).to_have_text(mobile[:3] + "****" + mobile[-4:])
    page.fill("#settings-password", NEW_PASSWORD)
    page.fill("#settings-password-confirm", NEW_PASSWORD)
    page.click("button[lay-filter=password-submit]")  # no code yet: the form asks for it beside its field
    expect(page.locator("#password-form .layui-form-item:has([name='vercode']) .field-error")).to_be_visible()
    page.fill("#password-captcha", solve_captcha(page, live, "password-captcha-image"))
    with page.expect_response("**/api/account/password/send_code") as sent:
        page.click("#password-get-vercode")
    assert sent.value.status == 200
    page.fill("#password-vercode", live.sms.last_code(mobile, "reset_password"))
    no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"settings-first-password-{width}.png"), full_page=True)
    with page.expect_response("**/api/account/password") as set_password:
        page.click("button[lay-filter=password-submit]")
    assert set_password.value.status == 200
    expect(page.locator("#password-heading")).to_have_text("修改密码")  # reloaded: now it has one

    # 换绑手机号: the current password, a code to the current mobile, then a code to the new mobile.
    form = page.locator("#mobile-form")
    form.locator("input[name=currentPassword]").fill(NEW_PASSWORD)
    form.locator("input[name=captcha]").fill(solve_captcha(page, live, "mobile-captcha-image"))
    with page.expect_response("**/api/account/mobile/send_current_code") as sent:
        page.click("#mobile-get-current-code")
    assert sent.value.status == 200
    form.locator("input[name=currentVercode]").fill(live.sms.last_code(mobile, "change_mobile"))
    form.locator("input[name=mobile]").fill(new_mobile)
    form.locator("input[name=captcha]").fill(solve_captcha(page, live, "mobile-captcha-image"))
    with page.expect_response("**/api/account/mobile/send_code") as sent:
        page.click("#mobile-get-vercode")
    assert sent.value.status == 200
    form.locator("input[name=vercode]").fill(live.sms.last_code(new_mobile, "change_mobile"))
    with page.expect_response("**/api/account/mobile") as changed:
        page.click("button[lay-filter=mobile-submit]")
    assert changed.value.status == 200
    expect(page.locator("#current-mobile")).to_have_text(new_mobile[:3] + "****" + new_mobile[-4:])
    expect(page.locator("#mobile-form [data-banner=notice]")).to_contain_text("手机号已更换")
    assert live.sms.notices == [(mobile, "mobile_changed_notice")]
    no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"settings-mobile-{width}.png"), full_page=True)

    # The new mobile and the new password sign in, in a fresh browser.
    other = open_page(width=width)
    sign_in(other, live, new_mobile, NEW_PASSWORD)
