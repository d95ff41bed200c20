"""Browser tests: Debian's Chromium driven by Playwright against the app served on 127.0.0.1.

Each test builds its own app (a fresh SQLite file and a fresh in-memory rate limiter) and serves it on a
free port from a background thread. The captcha renderer draws real PNGs but remembers the text for each
captcha_uuid, and the SMS sender records the codes, so a test can type what a person would read.

Every page is watched: a request that leaves the origin, a console error (CSP violations are reported
there), an uncaught exception or a failed static file fails the test.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import pytest
from flask import has_request_context, request
from werkzeug.serving import make_server

from tests.conftest import ApiClient, RecordingSms

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MISSING_CHROMIUM = (
    f"Chromium not installed at {CHROMIUM}: run `make browser-deps` (apt-get install chromium fonts-noto-cjk)"
)
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "Zhengxin-2024!"
SETUP_IP = "10.9.8.7"  # API set-up calls count against their own rate-limit bucket, not the browser's

# Chromium logs every 4xx/5xx answer as a console error; refusals the API gives on purpose are not bugs.
# Failed static files are caught separately (see watch), so this filter hides nothing that matters.
EXPECTED_HTTP_ERROR = "Failed to load resource: the server responded with a status of 4"


class RememberingCaptcha:
    """Real PNGs from ImageCaptchaRenderer; remembers the text drawn for each captcha_uuid."""

    def __init__(self, image_renderer):
        self.image = image_renderer
        self.by_uuid: dict[str, str] = {}
        self.last_text = ""  # what ApiClient.solve_captcha reads
        self.lock = threading.Lock()

    def render(self, text: str) -> bytes:
        key = request.args.get("captcha_uuid") if has_request_context() else None
        with self.lock:
            png = self.image.render(text)
            self.last_text = text
            if key:
                self.by_uuid[key] = text
        return png

    def text_for(self, captcha_uuid: str) -> str:
        with self.lock:
            return self.by_uuid[captcha_uuid]


class RecordingServer:
    """The app as the live server runs it, remembering each path the browser asked for (its cache at work)."""

    def __init__(self, app):
        self.app, self.paths = app, []

    def __call__(self, environ, start_response):
        self.paths.append(environ.get("PATH_INFO", ""))
        return self.app(environ, start_response)


@dataclass
class Live:
    base_url: str
    app: object
    sms: RecordingSms
    captcha: RememberingCaptcha
    served: RecordingServer

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def api_client(self) -> ApiClient:
        """Drives the API in-process from another IP, for set-up the test is not about."""
        return ApiClient(self.app, self.sms, self.captcha, ip=SETUP_IP)

    def register_user(self, mobile: str, password: str = PASSWORD, nickname: str = "小明") -> None:
        """A user registered a while ago: the sign-up code is old enough not to hold up another SMS."""
        from datetime import datetime, timedelta

        from adapters.sqlalchemy.tables import sms_challenges

        response = self.api_client().register(mobile, password=password, nickname=nickname)
        assert response.status_code == 200, response.get_data(as_text=True)
        with self.app.extensions["services"].engine.begin() as connection:
            connection.execute(
                sms_challenges.update()
                .where(sms_challenges.c.mobile == mobile)
                .values(created_at=datetime.now(UTC) - timedelta(minutes=10))
            )


# Module scope, not session: a running sync_playwright() makes any later one in this process fail ("Sync API
# inside the asyncio loop"), so the driver must stop before tests elsewhere start their own.
@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(MISSING_CHROMIUM + "; REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def image_renderer():
    from adapters.captcha_image import ImageCaptchaRenderer

    return ImageCaptchaRenderer()  # loading the fonts is slow: once per run


@pytest.fixture
def app_config() -> dict:
    """Settings a test module can override (a lower rate limit, say) by defining its own fixture."""
    return {}


@pytest.fixture
def live(tmp_path, image_renderer, app_config):
    from entrypoints.web import create_app

    sms, captcha = RecordingSms(), RememberingCaptcha(image_renderer)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'browser.sqlite3'}",
            "SECRET_KEY": "7d0b159856722fc32b8c16c28c79e682073f5f43",
            "TESTING": True,
            **app_config,
        },
        sms_sender=sms,
        captcha_renderer=captcha,
    )
    served = RecordingServer(app)
    server = make_server("127.0.0.1", 0, served, threaded=True)  # port 0: the system picks a free one
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", app, sms, captcha, served)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class Watch:
    """What went wrong in the pages of one test."""

    base_url: str
    problems: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        origin = self.base_url + "/"

        def on_request(req):
            if not (req.url.startswith(origin) or req.url.startswith("data:")):
                self.problems.append(f"request left the origin: {req.method} {req.url}")

        def on_console(message):
            if message.type == "error" and not message.text.startswith(EXPECTED_HTTP_ERROR):
                self.problems.append(f"console error on {page.url}: {message.text}")

        def on_page_error(error):
            self.problems.append(f"uncaught exception on {page.url}: {error}")

        def on_response(response):
            path = response.url[len(self.base_url) :] if response.url.startswith(self.base_url) else response.url
            if response.status >= 500 or (response.status >= 400 and path.startswith("/static/")):
                self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

        page.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("response", on_response)

    def check(self) -> None:
        if self.problems:
            problems, self.problems = self.problems, []
            pytest.fail("the browser reported:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def open_page(browser, live):
    """open_page(width=1280) -> a new page in a new browser context (its own cookies), watched."""
    watch = Watch(live.base_url)
    contexts = []

    def open_(width: int = 1280, height: int = 800, **context_options):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **context_options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page)
        return page

    open_.watch = watch
    yield open_
    for context in contexts:
        context.close()
    watch.check()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05):
    """Poll a Python-side condition (an SMS recorded, say) while the server thread works."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
