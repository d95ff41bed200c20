"""What a phone on a slow link gets: compressed, content-hashed static files cached for a year, so a first
visit to /login stays under 200 KiB and a repeat visit asks for no static file at all; and without JavaScript,
a notice instead of forms that would post to a JSON endpoint."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import solve_captcha

pytestmark = pytest.mark.browser

FIRST_VISIT_BUDGET = 200 * 1024


def transferred(page, requests) -> int:
    """Bytes on the wire: headers and (compressed) bodies of every request the page made."""
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
    return total


def test_first_visit_to_login_is_small_and_a_repeat_visit_asks_for_no_static_file(open_page, live):
    page = open_page(width=375, height=812)
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(live.url("/login"))
    solve_captcha(page, live)  # the captcha image is part of the visit
    page.evaluate("() => document.fonts.ready")
    page.wait_for_load_state("load")

    statics = [r for r in requests if "/static/" in r.url]
    assert statics, "the page loads its styles and scripts from /static/"
    for request in statics:
        headers = request.response().all_headers()
        assert headers["cache-control"] == "max-age=31536000, public, immutable", request.url
        assert headers["x-content-type-options"] == "nosniff", request.url
        if request.url.split("?")[0].endswith((".js", ".css")):
            assert headers.get("content-encoding") in ("br", "gzip"), request.url
    page_answer = next(r for r in requests if r.url == live.url("/login")).response().all_headers()
    assert page_answer.get("content-encoding") in ("br", "gzip", "zstd")
    total = transferred(page, requests)
    print(f"first visit to /login: {len(requests)} requests, {total / 1024:.1f} KiB transferred")
    assert total <= FIRST_VISIT_BUDGET, f"first visit to /login moved {total / 1024:.1f} KiB"

    # a later visit in the same browser: the page and a new captcha, nothing from /static/
    before = len(live.served.paths)
    again = page.context.new_page()
    again.goto(live.url("/login"))
    solve_captcha(again, live)
    again.wait_for_load_state("load")
    asked = live.served.paths[before:]
    assert "/login" in asked
    assert [path for path in asked if path.startswith("/static/")] == []


@pytest.mark.parametrize(
    "path, action",
    [
        ("/login", "登录"),
        ("/register", "注册"),
        ("/forgot-password", "重置密码"),
    ],
)
def test_without_javascript_a_notice_and_no_submittable_form(open_page, live, path, action):
    page = open_page(java_script_enabled=False)
    page.goto(live.url(path))
    expect(page.locator("main form .form-banner.is-error").first).to_have_text(
        f"请启用浏览器的 JavaScript 后刷新本页，才能{action}。"
    )
    # every submit button is disabled, so pressing Enter in a field submits nothing (HTML implicit submission)
    buttons = page.locator("main form button")
    assert buttons.count() >= 1
    for i in range(buttons.count()):
        expect(buttons.nth(i)).to_be_disabled()
    assert "/api/" not in (page.get_attribute("main form", "action") or "")
