"""The app as the benchmark serves it: `gunicorn -c python:entrypoints.gunicorn_conf tests.benchmarks.harness:app`.

Built from environment variables the runner sets (each gunicorn worker imports this module after the fork):

  BENCH_DATABASE_URL  SQLAlchemy URL, already migrated by the runner (AUTO_MIGRATE is off: workers start at once)
  BENCH_SMS_FILE      where the SMS sender appends "mobile purpose code" lines, for the load generator to read
  BENCH_SECRET_KEY    the app secret (any 32 bytes or more: the runner never needs it)
  BENCH_READY_FILE    each worker appends its pid once its app is built, so the runner starts loading only
                      when every worker is ready (a worker builds the app after the fork: fonts, argon2)
  BENCH_SERVED_DIR    each worker counts the requests it has answered in an 8-byte file there (served-PID), so
                      the runner divides the workers' CPU time by what they really served, in-flight requests
                      that wrk abandoned at the end of a row included

Differences from production, all for the load generator, and all stated in the printed report:
  * CSRF is off (WTF_CSRF_ENABLED=False): the load generator does not scrape tokens from pages.
  * Flask-Limiter is off (RATELIMIT_ENABLED=False): its per-IP limits would refuse the load within a second.
  * One trusted proxy hop (TRUSTED_PROXIES=1, as behind the production proxy): the load generator gives each
    request its own client address in X-Forwarded-For, so the domain's per-IP SMS cap (30 a day) sees many
    clients, as it would in production, instead of refusing every send from 127.0.0.1 after the 30th.
    The domain rules themselves (domain/rules.py) are the production defaults.
  * The captcha renderer draws the real PNG (adapters.captcha_image.ImageCaptchaRenderer), except for requests
    carrying `X-Bench-Captcha: text`, which get the answer as the body: how the runner solves captchas.
  * The SMS sender appends to a file: one small write, where production calls a provider. Except with
    BENCH_PROVIDER_SMS=1 (tests/benchmarks/slow_provider.py): the app then builds its sender from the SMS_* and
    ALIYUN_SMS_* settings in the environment, as in production, pointed at a local fake provider.
"""

from __future__ import annotations

import mmap
import os
import struct

from flask import has_request_context, request

from adapters.captcha_image import ImageCaptchaRenderer
from entrypoints.web import create_app

SOLVE_HEADER = "X-Bench-Captcha"


class SolvableCaptchaRenderer:
    """The production renderer, plus an answer-as-body mode chosen per request by a header."""

    def __init__(self) -> None:
        self.image = ImageCaptchaRenderer()

    def render(self, text: str) -> bytes:
        if has_request_context() and request.headers.get(SOLVE_HEADER) == "text":
            return text.encode()
        return self.image.render(text)


class FileSmsSender:
    """Appends one line per code; O_APPEND keeps lines from several workers whole."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def send_code(self, mobile: str, code: str, purpose: str) -> None:
        os.write(self.fd, f"{mobile} {purpose} {code}\n".encode())


def build():
    return create_app(
        {
            "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "ab7662b2970b56d58fb85875a86c9635bab58e34"),
            "AUTO_MIGRATE": False,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            # As the per-address limits are off: the export row measures making copies, not refusing them.
            "RULES": {"data_copies_per_window": 10**9},
            "LOG_JSON": True,
            "TRUSTED_PROXIES": 1,
        },
        sms_sender=None if os.environ.get("BENCH_PROVIDER_SMS") else FileSmsSender(os.environ["BENCH_SMS_FILE"]),
        captcha_renderer=SolvableCaptchaRenderer(),
    )


class ServedCounter:
    """WSGI middleware: counts answered requests in a shared 8-byte mapping (no system call per request)."""

    def __init__(self, wsgi_app, directory: str) -> None:
        self.wsgi_app = wsgi_app
        fd = os.open(os.path.join(directory, f"served-{os.getpid()}"), os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, 8)
        self.counter = mmap.mmap(fd, 8)
        os.close(fd)

    def __call__(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            struct.pack_into("Q", self.counter, 0, struct.unpack_from("Q", self.counter)[0] + 1)


def _ready(path: str | None) -> None:
    if path:
        with open(path, "a") as out:
            out.write(f"{os.getpid()}\n")


app = None
if "BENCH_DATABASE_URL" in os.environ:
    app = build()
    if os.environ.get("BENCH_SERVED_DIR"):
        app.wsgi_app = ServedCounter(app.wsgi_app, os.environ["BENCH_SERVED_DIR"])
    _ready(os.environ.get("BENCH_READY_FILE"))
