"""The app as gunicorn serves it in tests: the SMS sender and the captcha renderer write what they send
to files, so a test driving several processes over HTTP can read the codes and solve the captchas."""

from __future__ import annotations

import json
import os

from entrypoints.web import create_app
from tests.conftest import RecordingCaptcha


class FileSms:
    def send_code(self, mobile: str, code: str, purpose: str) -> None:
        with open(os.environ["SERVED_SMS_FILE"], "a") as out:
            out.write(json.dumps({"mobile": mobile, "code": code, "purpose": purpose}) + "\n")


class FileCaptcha:
    def render(self, text: str) -> bytes:
        if os.environ.get("SERVED_CAPTCHA_ECHO"):  # load tests: concurrent clients read their own answer
            return text.encode()
        with open(os.environ["SERVED_CAPTCHA_FILE"], "w") as out:
            out.write(text)
        return RecordingCaptcha.PNG


def build():
    config = json.loads(os.environ.get("SERVED_CONFIG", "{}"))
    # SERVED_PROVIDER_SMS=1: the real provider adapters, built from the SMS_* settings (a local fake provider)
    sms = None if os.environ.get("SERVED_PROVIDER_SMS") else FileSms()
    app = create_app(config, sms_sender=sms, captcha_renderer=FileCaptcha())
    if ready := os.environ.get("SERVED_READY_FILE"):  # each worker says when its app is built
        with open(ready, "a") as out:
            out.write(f"{os.getpid()}\n")
    return app
