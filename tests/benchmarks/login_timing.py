"""Does a failed sign-in take the same time for an unknown mobile as for a wrong password?

    .venv/bin/python -m tests.benchmarks.login_timing [--tries 300]

Drives the real Login use case (argon2, SQLite file, audit log) with interleaved tries and prints the
distributions. Not a unit test: timing belongs in a benchmark that prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from domain.errors import DomainError
from domain.events import ClientContext
from domain.use_cases.issue_captcha import CaptchaRequest
from domain.use_cases.login import Credentials
from domain.use_cases.register_user import Registration
from domain.use_cases.request_sms_code import SmsCodeRequest
from entrypoints.bootstrap import bootstrap
from tests.conftest import RecordingCaptcha, RecordingSms

CLIENT = ClientContext("127.0.0.1", "timing", "timing")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=300)
    print("\n".join(measure(parser.parse_args().tries)))


def measure(tries: int) -> list[str]:
    """The figures and the verdict, as lines (`make bench` prints them too)."""
    with tempfile.TemporaryDirectory() as folder:
        sms, captcha = RecordingSms(), RecordingCaptcha()
        services = bootstrap(
            settings={
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'timing.sqlite3'}",
                "SECRET_KEY": "timing",
                "RULES": {"login_max_failures": 10**9},
            },
            sms_sender=sms,
            captcha_renderer=captcha,
        )  # measure verification, not the lock
        from adapters.sqlalchemy.migrate import upgrade

        upgrade(services.engine)

        def solved() -> tuple[str, str]:
            captcha_id = str(uuid.uuid4())
            services.issue_captcha(CaptchaRequest(captcha_id, CLIENT))
            return captcha_id, captcha.last_text

        services.request_sms_code(SmsCodeRequest("13800138000", *solved(), CLIENT))
        services.register_user(
            Registration(
                "t", "13800138000", sms.last_code("13800138000"), "s3cure-Passw0rd", "s3cure-Passw0rd", True, CLIENT
            )
        )

        def attempt(mobile: str) -> float:
            captcha_id, text = solved()
            started = time.perf_counter()
            try:
                services.login(Credentials(mobile, "wrong-password-1", captcha_id, text, CLIENT))
            except DomainError as error:
                assert error.slug == "bad_credentials"
            return time.perf_counter() - started

        for _ in range(10):  # warm up
            attempt("13800138000"), attempt("13900139000")
        known, unknown = [], []
        for _ in range(tries):  # interleaved, so drift in machine load hits both alike
            known.append(attempt("13800138000"))
            unknown.append(attempt("13900139000"))

    def row(name: str, values: list[float]) -> str:
        q = statistics.quantiles(values, n=10)
        return f"{name:<16} median {statistics.median(values) * 1000:7.2f} ms   p10 {q[0] * 1000:7.2f}   p90 {q[-1] * 1000:7.2f}"

    ratio = statistics.median(unknown) / statistics.median(known)
    spread = (statistics.quantiles(known, n=10)[-1] - statistics.quantiles(known, n=10)[0]) / statistics.median(known)
    verdict = "SAME within noise" if abs(ratio - 1) < max(0.05, spread / 2) else "DIFFERENT"
    return [
        f"{tries} tries each, interleaved",
        row("wrong password", known),
        row("unknown mobile", unknown),
        f"median ratio unknown/wrong = {ratio:.3f}; p10-p90 spread of one group = {spread:.1%} of its median",
        f"verdict: {verdict}",
    ]


if __name__ == "__main__":
    main()
