"""Every page of ours, signed out and signed in, at a desktop and a phone width: axe-core finds no serious or
critical violation, nothing is wider than the window, and a screenshot of each stays in tests/artifacts/.
Also the keyboard: sign-up and sign-in can be finished with the keyboard alone.

axe-core is vendored from npm in tests/e2e/vendor/axe-core/ (see SOURCE.txt there). Swagger UI (/api/docs) is
not ours and is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.helpers import WIDTHS, banner, no_horizontal_overflow, sign_in, solve_captcha

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = {"serious", "critical"}

ANONYMOUS_PAGES = [
    ("index-anon", "/"),
    ("register", "/register"),
    ("login", "/login"),
    ("forgot", "/forgot-password"),
    ("terms", "/terms"),
    ("privacy", "/privacy"),
    ("error-404", "/no-such-page"),
]
SIGNED_IN_PAGES = [
    ("index-signed-in", "/"),
    ("profile", "/profile"),
    ("settings", "/settings"),
    ("delete-account", "/settings/delete-account"),
]


def axe_violations(page) -> list[str]:
    """Serious and critical violations on the page as it is now, one line each with where they are."""
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE)  # evaluated by the driver, not by the page: our CSP allows no injected script
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} [{violation['impact']}] {violation['id']}: {violation['help']} at "
        + ", ".join(
            " ".join(node["target"]) + " " + str((node.get("any") or [{}])[0].get("message", ""))[:160]
            for node in violation["nodes"][:3]
        )
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_every_page_passes_axe_at_both_widths_and_is_screenshotted(open_page, live, screenshots):
    mobile = "13800138010"
    live.register_user(mobile, nickname="正心学员")
    anonymous = open_page()
    signed_in = open_page()
    sign_in(signed_in, live, mobile, "a-wrong-password", succeed=False)  # a failure row in the log
    sign_in(signed_in, live, mobile)
    assert live.api_client().login(mobile, PASSWORD).status_code == 200  # another device for 登录设备管理

    found: list[str] = []
    for width in WIDTHS:
        for page, shots in [(anonymous, ANONYMOUS_PAGES), (signed_in, SIGNED_IN_PAGES)]:
            page.set_viewport_size({"width": width, "height": 800})
            for name, path in shots:
                response = page.goto(live.url(path))
                assert response.status == (404 if name == "error-404" else 200), path
                if page.locator("#captcha-image").count():
                    solve_captcha(page, live)  # waits for the image
                if page.locator("#sessions-list").count():  # 个人中心: this browser and the other device listed
                    expect(page.locator("#sessions-list tr.session-row")).to_have_count(2)
                page.evaluate("() => document.fonts.ready")
                expect(page).to_have_title(re.compile(r".+ - 账号中心$"))
                no_horizontal_overflow(page)
                found += axe_violations(page)
                page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)

        # the states in between: an open menu, a field error and a banner, a confirmation
        signed_in.goto(live.url("/settings"))
        signed_in.click(".nav-user")
        expect(signed_in.locator(".user-menu .menu-panel")).to_be_visible()
        found += axe_violations(signed_in)
        signed_in.screenshot(path=str(screenshots / f"menu-{width}.png"))
        signed_in.keyboard.press("Escape")
        signed_in.click("#sign-out-everywhere")
        expect(signed_in.locator(".layui-layer-dialog[role=alertdialog]")).to_be_visible()
        found += axe_violations(signed_in)
        signed_in.screenshot(path=str(screenshots / f"confirm-{width}.png"))
        signed_in.keyboard.press("Escape")
        signed_in.goto(live.url("/profile"))
        signed_in.click(".session-revoke")
        expect(signed_in.locator(".layui-layer-dialog[role=alertdialog]")).to_be_visible()
        found += axe_violations(signed_in)
        signed_in.keyboard.press("Escape")
        signed_in.goto(live.url("/settings/delete-account"))
        signed_in.click("button[lay-filter=delete-account-submit]")
        expect(signed_in.locator(".field-error")).to_have_count(1)
        found += axe_violations(signed_in)
        signed_in.screenshot(path=str(screenshots / f"delete-account-error-{width}.png"), full_page=True)

        anonymous.goto(live.url("/login"))
        anonymous.click("button[lay-filter=login-submit]")
        expect(anonymous.locator(".field-error")).to_have_count(1)
        found += axe_violations(anonymous)
        sign_in(anonymous, live, mobile, "wrong-again", succeed=False)
        expect(banner(anonymous)).to_be_visible()
        found += axe_violations(anonymous)
        anonymous.screenshot(path=str(screenshots / f"login-error-{width}.png"), full_page=True)

        if width < 768:  # the site menu is a button on phones
            anonymous.click(".site-menu summary")
            expect(anonymous.locator(".site-menu .menu-panel")).to_be_visible()
            found += axe_violations(anonymous)
            anonymous.screenshot(path=str(screenshots / f"site-menu-{width}.png"))

    assert not found, "axe-core found:\n  " + "\n  ".join(found)
    for name, _ in ANONYMOUS_PAGES + SIGNED_IN_PAGES:
        for width in WIDTHS:
            assert (screenshots / f"{name}-{width}.png").stat().st_size > 5_000


def focus_and_type(page, name: str, text: str) -> None:
    """Tab until the field with this name has focus (failing after 30 presses), then type."""
    for _ in range(30):
        if page.evaluate("name => document.activeElement && document.activeElement.name === name", name):
            page.keyboard.type(text)
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached the field {name!r}")


def tab_to(page, selector: str) -> None:
    for _ in range(30):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_sign_up_and_sign_in_by_keyboard_alone(open_page, live):
    page = open_page(width=375)
    mobile = "13800138013"
    page.goto(live.url("/register"))
    page.locator("body").focus()

    focus_and_type(page, "nickname", "键盘用户")
    focus_and_type(page, "mobile", mobile)
    focus_and_type(page, "password", PASSWORD)
    page.keyboard.press("Tab")
    # the eye button is in the Tab order, says what it does, and works with Space
    expect(page.locator("#reg-password + .password-toggle")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#reg-password")).to_have_attribute("type", "text")
    expect(page.locator("#reg-password + .password-toggle")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    expect(page.locator("#reg-password")).to_have_attribute("type", "password")
    focus_and_type(page, "confirmPassword", PASSWORD)
    focus_and_type(page, "captcha", solve_captcha(page, live))
    # the order follows the layout: captcha, 看不清？换一张, then the SMS code and 获取验证码
    page.keyboard.press("Tab")
    expect(page.locator(".captcha-refresh")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("input[name=vercode]")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#reg-get-vercode")).to_be_focused()
    with page.expect_response("**/api/send_register_sms") as answer:
        page.keyboard.press("Enter")
    assert answer.value.ok
    expect(page.locator("input[name=vercode]")).to_be_focused()  # ready for the code
    page.keyboard.type(live.sms.last_code(mobile, "register"))
    tab_to(page, "input[name=agreement]")
    page.keyboard.press("Space")  # a real checkbox
    expect(page.locator("input[name=agreement]")).to_be_checked()
    tab_to(page, "button[lay-filter=reg-submit]")
    with page.expect_response("**/api/register") as answer:
        page.keyboard.press("Enter")
    assert answer.value.ok
    page.wait_for_url(live.url("/login"))

    # /login: the mobile is filled in and the cursor waits in the password
    expect(page.locator("input[name=password]")).to_be_focused()
    page.keyboard.type(PASSWORD)
    focus_and_type(page, "captcha", solve_captcha(page, live))
    tab_to(page, "input[name=remember]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=remember]")).to_be_checked()
    tab_to(page, "button[lay-filter=login-submit]")
    with page.expect_response("**/api/login") as answer:
        page.keyboard.press("Enter")
    assert answer.value.ok
    page.wait_for_url(live.url("/"))
    expect(page.locator(".nav-user-name")).to_have_text("键盘用户")

    # the account menu opens and closes by keyboard too
    tab_to(page, ".nav-user")
    page.keyboard.press("Enter")
    expect(page.locator(".user-menu .menu-panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".user-menu .menu-panel")).to_be_hidden()
    expect(page.locator(".nav-user")).to_be_focused()
