"""After sign-in only a path on this site is followed, never another host.

`next=/.//evil.example/x` (and `/..//`, `/a/..//`, `/%2e//`) used to become `//evil.example/x`, which a browser
reads as another host. The server hands the page a vetted target (entrypoints/web/redirects.py) and the page
checks the origin again (App.sameOriginTarget); both are tried here with every variant.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser

ESCAPES = [
    "/.//evil.example/x",
    "/..//evil.example/x",
    "/a/..//evil.example/x",
    "/%2e//evil.example/x",
    "/%2E%2e//evil.example/x",
    "//evil.example/x",
    "/\\evil.example/x",
    "https://evil.example/x",
    "/\t/evil.example/x",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("next_path", ESCAPES)
def test_sign_in_never_leaves_the_site(open_page, live, next_path):
    mobile = "13800138020"
    live.register_user(mobile)
    page = open_page()
    page.goto(live.url("/login?next=" + quote(next_path, safe="")))
    assert page.get_attribute("#login-form", "data-next") == "/"  # the server vetted it
    sign_in(page, live, mobile)  # waits for the home page of this site
    assert page.url == live.url("/")


def test_a_same_site_target_is_followed(open_page, live):
    live.register_user("13800138021")
    page = open_page()
    page.goto(live.url("/settings"))  # signed out: sent to /login?next=/settings
    sign_in(page, live, "13800138021", landing="/settings")


def test_the_page_checks_the_target_again_itself(open_page, live):
    """Should a bad target ever reach the page, its own check keeps the browser on this site."""
    page = open_page()
    page.goto(live.url("/login"))
    origin = live.url("")
    answers = page.evaluate("targets => targets.map(t => App.sameOriginTarget(t))", ESCAPES + ["/settings?tab=1"])
    assert answers == [origin + "/"] * len(ESCAPES) + [origin + "/settings?tab=1"]
