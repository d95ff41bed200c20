"""A captcha the server refuses to draw (429 after too many loads, 503 when the database is away) shows a
readable placeholder and says what to do, instead of a broken image followed by 图片验证码错误."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import field_error, solve_captcha

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config() -> dict:
    return {"API_RATE_LIMIT": "3 per minute"}


def test_a_refused_captcha_shows_a_placeholder_and_blocks_the_submit(open_page, live, screenshots):
    page = open_page(width=375)
    page.goto(live.url("/login"))
    solve_captcha(page, live)  # the first of the three allowed, loaded
    for _ in range(2):  # loads two and three of the three allowed
        with page.expect_response("**/get_captcha*") as answer:
            page.click(".captcha-refresh")
        assert answer.value.status == 200
    with page.expect_response("**/get_captcha*") as answer:
        page.click(".captcha-refresh")
    assert answer.value.status == 429

    expect(page.locator(".captcha-placeholder")).to_be_visible()
    expect(page.locator(".captcha-placeholder")).to_have_text("图片验证码加载失败")
    expect(field_error(page, "captcha")).to_contain_text("请稍后点击“看不清？换一张”重试")
    page.screenshot(path=str(screenshots / "login-captcha-refused-375.png"), full_page=True)

    # signing in now would only earn 图片验证码错误: the page says why instead, and sends nothing
    api_calls = []
    page.on("request", lambda request: api_calls.append(request.url) if "/api/" in request.url else None)
    page.click("#tab-password")  # phones open on 验证码登录
    page.fill("input[name=mobile]", "13800138030")
    page.fill("input[name=password]", "whatever-it-is")
    page.fill("input[name=captcha]", "ABCD")
    page.click("button[lay-filter=login-submit]")
    expect(page.locator("input[name=captcha]")).to_be_focused()
    expect(field_error(page, "captcha")).to_contain_text("图片验证码加载失败")
    assert api_calls == []
