"""The operator console (管理后台) in Chromium: enrolment with TOTP, sign-in, every page at 1280 px and at 768 px,
every action, and axe-core (vendored under tests/e2e/vendor/) with no serious or critical violation.

The walk-through in docs/operator-console.md for a new operator: created on the command line (here: the same use case),
enrols in the browser, watches the charts, finds a locked user, unlocks them, finds that in the audit log.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from domain.events import ClientContext
from domain.use_cases.admin.enrolment import Enrolment
from domain.use_cases.webhooks import WebhookRegistration
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
OPERATOR_PASSWORD = "Caozuoyuan-2026!"
PAGES = [
    ("/admin/", "概览"),
    ("/admin/users", "用户"),
    ("/admin/users/1", "用户详情"),
    ("/admin/audit", "审计日志"),
    ("/admin/sms", "短信"),
    ("/admin/webhooks", "Webhook"),
]


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now (WCAG 2.x A and AA rules and best practice)."""
    page.evaluate(AXE)  # through the DevTools protocol: the page's CSP (no inline script) stays as it is
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}:\n  " + "\n  ".join(violations)


def no_horizontal_overflow(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the {page.viewport_size['width']}px window"


def enrolled_operator(live, username: str = "wang", role: str = "admin") -> pyotp.TOTP:
    """An operator who already finished setup (the browser enrolment has its own test); returns their TOTP."""
    services = live.app.extensions["services"].admin
    link = services.create_operator(username, role, ClientContext())
    key = services.start_enrolment(link.token).manual_key.replace(" ", "")
    totp = pyotp.TOTP(key)
    services.finish_enrolment(Enrolment(link.token, OPERATOR_PASSWORD, OPERATOR_PASSWORD, totp.now(), ClientContext()))
    return totp


def sign_in(page, live, totp: pyotp.TOTP, username: str = "wang") -> None:
    page.goto(live.url("/admin/login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(OPERATOR_PASSWORD)
    page.get_by_label("动态验证码").fill(totp.at(time.time() + 30))  # the next code: setup used this one
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live.url("/admin/"))


def lock(live, mobile: str) -> None:
    api = live.api_client()
    for _ in range(5):
        api.login(mobile, "wrong-Passw0rd")
    assert api.login(mobile).get_json()["error"] == "bad_credentials"  # locked: the form answers as a wrong password


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True).click()


def add_webhook(live) -> None:
    """An endpoint for the Webhook page to list (as `accounts webhooks add` makes one), with both of its flags."""
    live.app.extensions["services"].integrations.add_webhook(
        WebhookRegistration(
            "http://127.0.0.1:9/hook?token=x", "user.*,login.succeeded", True, ClientContext(), full_mobile=True
        )
    )


def confirm(page, button_name: str) -> None:
    page.get_by_role("button", name=button_name).click()
    page.locator(".layui-layer-dialog .layui-layer-btn0").click()


def test_new_operator_enrols_signs_in_unlocks_a_user_and_finds_it_in_the_audit_log(open_page, live, screenshots):
    mobile = "13800138101"
    live.register_user(mobile, nickname="小锁")
    lock(live, mobile)
    link = live.app.extensions["services"].admin.create_operator("wang", "admin", ClientContext())
    page = open_page()

    # 1. the setup link: password, QR code drawn here (a data: image), the code from the authenticator
    page.goto(live.url(f"/admin/setup#{link.token}"))
    expect(page.locator("#setup-username")).to_have_text("wang")
    assert page.locator("#setup-qr").get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert "#" not in page.url  # the token left the address bar
    totp = pyotp.TOTP(page.locator("#setup-key").inner_text().replace(" ", ""))
    page.get_by_label("新密码").fill(OPERATOR_PASSWORD)
    page.get_by_label("确认密码").fill(OPERATOR_PASSWORD)
    page.get_by_label("输入验证器中显示的 6 位数字").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="完成设置").click()
    expect(page.locator("#setup-error")).to_contain_text("动态验证码错误")
    page.get_by_label("输入验证器中显示的 6 位数字").fill(totp.now())
    page.get_by_role("button", name="完成设置").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "admin-recovery-codes-1280.png"), full_page=True)
    page.get_by_role("link", name="我已保存，去登录").click()

    # 2. sign-in, and the dashboard with its charts
    page.wait_for_url(live.url("/admin/login"))
    assert_accessible(page)
    sign_in(page, live, totp)
    expect(page.locator("#chart-accounts[data-ready=true] svg")).to_have_count(1)
    expect(page.locator("#total-registrations")).to_have_text("1")
    expect(page.locator("#total-lockouts")).to_have_text("1")
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "admin-dashboard-1280.png"), full_page=True)

    # 3. find the user by mobile, see the lock, unlock
    nav(page, "用户")
    page.get_by_label("手机号、昵称或用户 ID").fill("1380013810")
    page.get_by_role("button", name="搜索").click()
    rows = page.locator("#users-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("138****8101")
    expect(rows.first).to_contain_text("已锁定")
    rows.first.get_by_role("link", name="查看").click()
    expect(page.locator("#user-state")).to_contain_text("已锁定")
    assert_accessible(page)
    confirm(page, "解锁")
    expect(page.locator(".layui-layer-msg")).to_contain_text("已解锁")
    expect(page.locator("#user-state")).to_contain_text("正常")
    assert live.api_client().login(mobile, PASSWORD).status_code == 200

    # 4. the action in the audit log, with who did it
    nav(page, "审计日志")
    page.get_by_label("事件类型").select_option("admin.user_unlocked")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("后台：解锁用户")
    expect(rows.first).to_contain_text("操作员 wang")
    expect(rows.first).to_contain_text("138****8101")
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "admin-audit-1280.png"), full_page=True)

    # 5. the CSV of what is shown, itself recorded
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and "后台：解锁用户".encode() in content
    page.goto(live.url("/admin/audit?type=admin.audit_exported"))
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)


def test_every_action_on_a_user(open_page, live):
    mobile = "13800138102"
    live.register_user(mobile)
    totp = enrolled_operator(live)
    page = open_page()
    sign_in(page, live, totp)
    page.goto(live.url("/admin/users/1"))

    page.get_by_role("button", name="查看完整号码").click()
    expect(page.locator("#user-mobile")).to_have_text(mobile)

    confirm(page, "停用")
    expect(page.locator("#user-state")).to_contain_text("已停用")
    refused = live.api_client().login(mobile, PASSWORD)
    assert refused.status_code == 403 and refused.get_json()["message"] == "该账号已被停用，如有疑问请联系客服"

    confirm(page, "启用")
    expect(page.locator("#user-state")).to_contain_text("正常")
    api = live.api_client()
    assert api.login(mobile, PASSWORD).status_code == 200 and api.get("/profile").status_code == 200

    confirm(page, "结束所有会话")
    expect(page.locator(".layui-layer-msg")).to_contain_text("该用户的所有会话已结束")
    assert api.get("/profile").status_code == 302

    # 申诉: a new mobile for a user who lost the old one, never without a reason
    page.goto(live.url("/admin/users/1"))  # the page as the last action's reload leaves it
    page.get_by_label("新手机号").fill("13900139102")
    confirm(page, "更换手机号")
    expect(page.locator(".layui-layer-msg")).to_contain_text("请填写更换原因")
    page.get_by_label("原因").fill("工单 1207-002：身份证与注册信息一致")
    confirm(page, "更换手机号")
    expect(page.locator(".layui-layer-msg")).to_contain_text("手机号已更换")
    assert live.api_client().login("13900139102", PASSWORD).status_code == 200

    page.goto(live.url("/admin/audit?user_id=1"))
    table = page.locator("#audit-table")
    for label in (
        "后台：查看完整手机号",
        "后台：停用用户",
        "后台：启用用户",
        "后台：结束用户所有会话",
        "后台：更换用户手机号（申诉）",
    ):
        expect(table).to_contain_text(label)


def test_an_auditor_sees_no_actions(open_page, live):
    live.register_user("13800138103")
    totp = enrolled_operator(live, "zhao", "auditor")
    page = open_page()
    sign_in(page, live, totp, "zhao")
    page.goto(live.url("/admin/users/1"))
    expect(page.locator(".console-operator")).to_contain_text("审计员")
    expect(page.locator("[data-action]")).to_have_count(0)
    expect(page.locator("#change-mobile-form")).to_have_count(0)
    expect(page.get_by_text("您是审计员：只能查看，不能操作。")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 768])
def test_every_page_at_desktop_and_tablet_width(open_page, live, screenshots, width):
    live.register_user("13800138104")
    add_webhook(live)
    totp = enrolled_operator(live)
    page = open_page(width=width, height=900)
    sign_in(page, live, totp)
    for path, title in PAGES:
        page.goto(live.url(path))
        expect(page.locator("h1")).to_have_text(title)
        expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
        no_horizontal_overflow(page)
        assert_accessible(page)
        name = path.strip("/").replace("/", "-") or "admin"
        page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(live.url("/admin/login"))
    page.goto(live.url("/admin/"))
    expect(page).to_have_url(live.url("/admin/login"))
