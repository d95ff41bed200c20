"""What a person does on the pages, as steps the browser tests share."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

NEW_PASSWORD = "Xinmima-2025#"
WIDTHS = (1280, 375)
_used_captchas: dict[int, set[str]] = {}


def solve_captcha(page, live, image_id: str = "captcha-image") -> str:
    """The text of the captcha now shown: waits for a new image (not one already submitted) to load."""
    used = _used_captchas.setdefault(id(page), set())
    handle = page.wait_for_function(
        """([used, imageId]) => {
            const img = document.getElementById(imageId);
            const id = img && img.dataset.uuid;
            if (!id || used.includes(id) || img.src.indexOf(id) === -1) return null;
            return img.complete && img.naturalWidth > 0 ? id : null;
        }""",
        arg=[sorted(used), image_id],
    )
    captcha_uuid = handle.json_value()
    used.add(captcha_uuid)
    return live.captcha.text_for(captcha_uuid)


def banner(page, kind: str = "error"):
    """The page-level message inside the form: 'error' (role=alert) or 'notice' (role=status)."""
    return page.locator(f"main [data-banner={kind}]:not(:empty)")


def field_error(page, name: str):
    """The .field-error shown in the form item of the field with this name."""
    return page.locator(f".layui-form-item:has([name='{name}']) .field-error")


def sign_in(
    page,
    live,
    mobile: str,
    password: str = PASSWORD,
    *,
    remember: bool = False,
    succeed: bool = True,
    landing: str = "/",
):
    if not page.url.startswith(live.url("/login")):
        page.goto(live.url("/login"))
    if page.get_attribute("#tab-password", "aria-selected") != "true":  # phones open on 验证码登录
        page.click("#tab-password")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha]", solve_captcha(page, live))
    page.set_checked("input[name=remember]", remember)
    with page.expect_response("**/api/login") as answer:
        page.press("input[name=captcha]", "Enter")  # Enter submits
    if succeed:
        page.wait_for_url(live.url(landing))
    return answer.value


def open_user_menu(page) -> None:
    page.click(".nav-user")
    expect(page.locator(".user-menu .menu-panel")).to_be_visible()


def confirm_dialog(page):
    return page.locator(".layui-layer-dialog[role=alertdialog]")


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
