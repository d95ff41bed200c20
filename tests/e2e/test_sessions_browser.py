"""登录设备管理 in Chromium: two browsers signed in to one account; one signs the other out from 个人中心."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import WIDTHS, banner, confirm_dialog, expect_signed_out, no_horizontal_overflow, sign_in

pytestmark = pytest.mark.browser

PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50"
)


@pytest.mark.parametrize("width", WIDTHS)
def test_signing_another_device_out_from_the_profile(open_page, live, screenshots, width):
    mobile = "13800138011"
    live.register_user(mobile)
    page = open_page(width)
    phone = open_page(375, user_agent=PHONE_AGENT)  # another browser context: cookies of its own
    sign_in(phone, live, mobile)
    sign_in(page, live, mobile, remember=True)

    with page.expect_response("**/api/account/sessions") as listed:
        page.goto(live.url("/profile"))
    assert listed.value.ok
    rows = page.locator("#sessions-list tr.session-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#sessions-list")).not_to_have_attribute("aria-busy", "true")
    this, other = rows.nth(0), rows.nth(1)
    expect(this.locator(".session-current")).to_have_text("当前设备")
    expect(this.locator(".session-revoke")).to_have_count(0)  # no 下线 for this browser
    expect(other.locator("td").first).to_have_text("微信 / iOS")
    expect(other.locator("td").nth(1)).to_have_text("127.0.0.1")
    signed_in_at = other.locator("td").nth(2)
    expect(signed_in_at).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    # Beijing time, as in the sign-in log beside it: the session starts with its login.succeeded event.
    assert signed_in_at.inner_text() in page.locator("#sign-in-table .sign-in-ok td:first-child").all_inner_texts()
    no_horizontal_overflow(page)
    page.locator("#sessions-card").screenshot(path=str(screenshots / f"sessions-{width}.png"))

    # each 下线 says which device it is for; 取消 changes nothing and gives the focus back
    revoke = page.get_by_role("button", name="下线：微信 / iOS")
    expect(revoke).to_have_count(1)
    revoke.click()
    dialog = confirm_dialog(page)
    expect(dialog.locator(".layui-layer-title")).to_have_text("下线设备")
    expect(dialog).to_contain_text("微信 / iOS")
    dialog.locator(".layui-layer-btn1").click()
    expect(dialog).to_have_count(0)
    expect(revoke).to_be_focused()
    expect(rows).to_have_count(2)

    # 下线 ends the other session at once; the result is told in the card, the focus moves to its heading
    revoke.click()
    with page.expect_response("**/api/account/sessions/*/revoke") as answer:
        confirm_dialog(page).locator(".layui-layer-btn0").click()
    assert answer.value.ok
    expect(banner(page, "notice")).to_have_text("微信 / iOS：该设备已下线")
    expect(page.locator("#sessions-heading")).to_be_focused()
    expect(page.locator(".layui-layer-msg")).to_have_count(0)  # no toast
    expect(rows).to_have_count(1)

    expect_signed_out(phone, live)  # the other browser's next page asks it to sign in again
    page.reload()
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".session-current")).to_be_visible()


def test_a_device_already_signed_out_elsewhere_is_told_in_the_card(open_page, live):
    mobile = "13800138012"
    live.register_user(mobile)
    page = open_page()
    phone = open_page(375, user_agent=PHONE_AGENT)
    sign_in(phone, live, mobile)
    sign_in(page, live, mobile)
    page.goto(live.url("/profile"))
    rows = page.locator("#sessions-list tr.session-row")
    expect(rows).to_have_count(2)

    phone.goto(live.url("/settings"))  # the phone signs itself out (退出) before the profile asks
    phone.click(".nav-user")
    phone.click("#logout-link")
    with phone.expect_response("**/api/logout"):
        confirm_dialog(phone).locator(".layui-layer-btn0").click()
    phone.wait_for_url(live.url("/"))

    rows.nth(1).locator(".session-revoke").click()
    with page.expect_response("**/api/account/sessions/*/revoke") as answer:
        confirm_dialog(page).locator(".layui-layer-btn0").click()
    assert answer.value.status == 404
    expect(banner(page)).to_be_visible()  # the refusal in the card's error banner (role=alert), not a toast
    expect(page.locator("#sessions-card [role=alert]:not(:empty)")).to_have_count(1)
    expect(rows).to_have_count(1)  # the list was read again
