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
from tests.e2e.test_browser import no_horizontal_overflow, sign_in

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)


def deletion_due_at(live, mobile: str):
    with live.app.extensions["services"].engine.connect() as connection:
        return connection.execute(select(users.c.deletion_due_at).where(users.c.mobile == mobile)).scalar_one()


def dialog(page):
    """The open layui alert or confirm (not a transient msg)."""
    return page.locator(".layui-layer-dialog:not(.layui-layer-msg)").last


@pytest.mark.parametrize("width", WIDTHS)
def test_cancel_from_settings_then_sign_in_again_during_the_cool_off(open_page, live, screenshots, width):
    mobile = f"1380013{width:04d}"
    live.register_user(mobile)
    page = open_page(width=width)
    sign_in(page, live, mobile)

    page.goto(live.url("/settings"))
    page.click("#delete-account-link")
    expect(page).to_have_url(live.url("/settings/delete-account"))
    expect(page.locator("#deletion-removes")).to_contain_text("昵称和登录密码")
    expect(page.locator("#deletion-keeps")).to_contain_text("无法还原的假名")
    expect(page.locator(".layui-elem-quote")).to_contain_text("15 天冷静期")
    no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"delete-account-{width}.png"), full_page=True)

    submit = page.locator("button[lay-filter=delete-account-submit]")
    page.fill("input[name=currentPassword]", "not-my-password")
    submit.click()  # not ticked yet: asked to read first, nothing sent
    expect(page.locator(".layui-form-item:has([name=understood]) .field-error")).to_contain_text("请先阅读并勾选")
    page.click("input[name=understood] + .layui-form-checkbox")
    submit.click()
    expect(dialog(page).locator(".layui-layer-title")).to_have_text("注销账号")
    with page.expect_response("**/api/account/delete") as refused:
        dialog(page).locator(".layui-layer-btn0").click()
    assert refused.value.status == 400
    expect(page.locator(".layui-form-item:has([name=currentPassword]) .field-error")).to_have_text("当前密码不正确")
    assert deletion_due_at(live, mobile) is None

    page.fill("input[name=currentPassword]", PASSWORD)
    submit.click()
    with page.expect_response("**/api/account/delete") as answer:
        dialog(page).locator(".layui-layer-btn0").click()
    assert answer.value.status == 200
    expect(dialog(page).locator(".layui-layer-content")).to_contain_text("注销申请已提交")
    expect(dialog(page).locator(".layui-layer-content")).to_contain_text("在此之前用手机号和密码登录，即可撤销注销")
    page.wait_for_timeout(400)  # layer's opening animation
    page.screenshot(path=str(screenshots / f"delete-account-requested-{width}.png"))
    dialog(page).locator(".layui-layer-btn0").click()
    page.wait_for_url(live.url("/"))
    expect(page.locator(".welcome-title")).to_have_text("欢迎来到正心全栈编程")  # signed out everywhere
    assert deletion_due_at(live, mobile) is not None

    answer = sign_in(page, live, mobile, succeed=False)
    assert answer.status == 200 and answer.json()["deletion_cancelled"] is True
    expect(dialog(page).locator(".layui-layer-title")).to_have_text("注销已撤销")
    expect(dialog(page).locator(".layui-layer-content")).to_contain_text("您的注销申请已撤销")
    no_horizontal_overflow(page)
    page.wait_for_timeout(400)  # layer's opening animation
    page.screenshot(path=str(screenshots / f"deletion-cancelled-{width}.png"))
    dialog(page).locator(".layui-layer-btn0").click()
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
    assert [(c["document"], c["version"]) for c in copy["consents"]] == [("terms", TERMS_VERSION),
                                                                          ("privacy", PRIVACY_VERSION)]
    types = [e["type"] for e in copy["events"]]
    assert types[:3] == ["sms_code.sent", "user.registered", "consent.given"]
    assert "login.succeeded" in types and types[-1] == "data.exported"
    expect(page).to_have_url(live.url("/profile"))  # the page stays; the file is saved


@pytest.mark.parametrize("width", WIDTHS)
def test_sign_up_shows_both_documents_unticked(open_page, live, screenshots, width):
    page = open_page(width=width)
    page.goto(live.url("/register"))
    agreement = page.locator(".agreement-item")
    expect(agreement).to_contain_text("《用户协议》和《隐私政策》")
    expect(page.locator("input[name=agreement] + .layui-form-checkbox")).not_to_have_class("layui-form-checked")
    no_horizontal_overflow(page)
    with page.context.expect_page() as opened:
        agreement.locator("a[href='/privacy']").click()
    policy = opened.value
    policy.wait_for_load_state()
    expect(policy.locator("h1")).to_have_text("隐私政策")
    expect(policy.locator("#privacy-version")).to_contain_text(PRIVACY_VERSION)
    no_horizontal_overflow(policy)
    policy.screenshot(path=str(screenshots / f"privacy-{width}.png"), full_page=True)
