"""注销 from 设置, lifted by signing in again during the cool-off; 下载我的数据 from 个人中心; the privacy policy.
In Chromium at 1280 and 375 px, as a person would use them."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from adapters.sqlalchemy.tables import users
from domain.rules import PRIVACY_VERSION, TERMS_VERSION
from tests.e2e.conftest import PASSWORD
from tests.e2e.helpers import WIDTHS, banner, confirm_dialog, field_error, no_horizontal_overflow, sign_in

pytestmark = pytest.mark.browser


def deletion_due_at(live, mobile: str):
    with live.app.extensions["services"].engine.connect() as connection:
        return connection.execute(select(users.c.deletion_due_at).where(users.c.mobile == mobile)).scalar_one()


@pytest.mark.parametrize("width", WIDTHS)
def test_cancel_from_settings_then_sign_in_again_during_the_cool_off(open_page, live, screenshots, width):
    mobile = f"1380013{width:04d}"
    live.register_user(mobile)
    page = open_page(width=width)
    sign_in(page, live, mobile)

    page.goto(live.url("/settings"))
    page.click("#delete-account-link")
    expect(page).to_have_url(live.url("/settings/delete-account"))
    expect(page.locator("h1")).to_have_text("注销账号")
    expect(page.locator("#deletion-removes")).to_contain_text("昵称和登录密码")
    expect(page.locator("#deletion-keeps")).to_contain_text("去标识化的假名")
    expect(page.locator("#deletion-summary")).to_contain_text("15 天冷静期")
    password = page.get_by_label("当前密码", exact=True)
    expect(password).to_have_attribute("autocomplete", "current-password")
    no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"delete-account-{width}.png"), full_page=True)

    submit = page.locator("button[lay-filter=delete-account-submit]")
    expect(submit).to_be_enabled()  # ready once its script is
    submit.click()  # empty: told beside the field, nothing sent
    expect(field_error(page, "currentPassword")).to_have_text("请填写当前密码")
    expect(password).to_be_focused()
    password.fill("not-my-password")
    submit.click()  # not ticked yet: asked to read first, nothing sent
    expect(field_error(page, "understood")).to_contain_text("请先阅读并勾选")
    expect(page.locator("input[name=understood]")).to_be_focused()
    page.check("input[name=understood]")  # a real checkbox
    expect(field_error(page, "understood")).to_have_count(0)

    submit.click()  # 取消 in the confirmation sends nothing
    expect(confirm_dialog(page).locator(".layui-layer-title")).to_have_text("注销账号")
    confirm_dialog(page).locator(".layui-layer-btn1").click()
    expect(confirm_dialog(page)).to_have_count(0)
    expect(submit).to_be_focused()
    assert deletion_due_at(live, mobile) is None

    submit.click()
    with page.expect_response("**/api/account/delete") as refused:
        confirm_dialog(page).locator(".layui-layer-btn0").click()
    assert refused.value.status == 400
    expect(field_error(page, "currentPassword")).to_have_text("当前密码不正确")
    expect(password).to_be_focused()
    assert deletion_due_at(live, mobile) is None

    password.fill(PASSWORD)
    submit.click()
    with page.expect_response("**/api/account/delete") as answer:
        confirm_dialog(page).locator(".layui-layer-btn0").click()
    assert answer.value.status == 200
    # signed out everywhere: the sign-in page says what happens next, in its notice banner
    page.wait_for_url(live.url("/login"))
    expect(banner(page, "notice")).to_contain_text("注销申请已提交")
    expect(banner(page, "notice")).to_contain_text("在此之前重新登录，即可撤销注销")  # by password or SMS code
    page.screenshot(path=str(screenshots / f"delete-account-requested-{width}.png"))
    assert deletion_due_at(live, mobile) is not None

    answer = sign_in(page, live, mobile, succeed=False)
    assert answer.status == 200 and answer.json()["deletion_cancelled"] is True
    dialog = confirm_dialog(page)
    expect(dialog.locator(".layui-layer-title")).to_have_text("注销已撤销")
    expect(dialog.locator(".layui-layer-content")).to_contain_text("您的注销申请已撤销")
    expect(dialog.locator(".layui-layer-btn a")).to_have_count(1)  # a notice: nothing to cancel
    expect(dialog.locator(".layui-layer-btn0")).to_be_focused()
    no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"deletion-cancelled-{width}.png"))
    page.keyboard.press("Enter")
    page.wait_for_url(live.url("/"))
    expect(page.locator(".welcome-title")).to_have_text("欢迎回来，小明")
    assert deletion_due_at(live, mobile) is None


@pytest.mark.parametrize("width", WIDTHS)
def test_download_my_data_from_the_profile(open_page, live, screenshots, width):
    mobile = f"1390013{width:04d}"
    live.register_user(mobile)
    page = open_page(width=width)
    sign_in(page, live, mobile)

    page.goto(live.url("/profile"))
    link = page.locator("#export-data-link")
    expect(link).to_be_visible()
    expect(link).to_have_text("下载我的数据")
    no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"profile-download-{width}.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("个人信息副本-")
    assert download.value.suggested_filename.endswith(".json")
    copy = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert copy["account"]["mobile"] == mobile and copy["account"]["nickname"] == "小明"
    assert [(c["document"], c["version"]) for c in copy["consents"]] == [
        ("terms", TERMS_VERSION),
        ("privacy", PRIVACY_VERSION),
    ]
    types = [e["type"] for e in copy["events"]]
    assert types[:3] == ["sms_code.sent", "user.registered", "consent.given"]
    assert "login.succeeded" in types and types[-1] == "data.exported"
    expect(page).to_have_url(live.url("/profile"))  # the page stays; the file is saved


@pytest.mark.parametrize("width", WIDTHS)
def test_sign_up_shows_both_documents_unticked(open_page, live, screenshots, width):
    page = open_page(width=width)
    page.goto(live.url("/register"))
    agreement = page.locator(".agreement-item")
    expect(agreement.get_by_role("link", name="《用户协议》（新窗口打开）")).to_have_attribute("href", "/terms")
    expect(agreement.get_by_role("link", name="《隐私政策》（新窗口打开）")).to_have_attribute("href", "/privacy")
    expect(page.locator("input[name=agreement]")).not_to_be_checked()
    no_horizontal_overflow(page)
    with page.context.expect_page() as opened:
        agreement.locator("a[href='/privacy']").click()
    policy = opened.value
    policy.wait_for_load_state()
    expect(policy.locator("h1")).to_have_text("隐私政策")
    expect(policy.locator("#privacy-version")).to_contain_text(PRIVACY_VERSION)
    expect(policy.locator("main")).to_contain_text("账号中心（以下简称“我们”）")  # SITE_NAME, not the tutorial's
    no_horizontal_overflow(policy)
    policy.screenshot(path=str(screenshots / f"privacy-{width}.png"), full_page=True)
