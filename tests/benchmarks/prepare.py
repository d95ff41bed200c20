"""Preparing the benchmark's requests: fresh mobiles and client addresses, solved captchas, SMS codes read from
the harness's file, the bodies the pages post. Shared by run.py, slow_provider.py, hotpaths.py and account_rows.py."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from tests.benchmarks import micro
from tests.benchmarks.loadgen import SOLVE, Server, client_ip, parallel

PASSWORD = micro.PASSWORD
NICKNAME = "压测用户"


class Mobiles:
    """Fresh, valid mainland mobiles: 1, a digit per sequence (5-9: never the seeded 130 range), 9 digits."""

    def __init__(self, digit: int, start: int = 0):
        self.prefix, self.next = f"1{digit}", start

    def take(self, n: int) -> list[str]:
        first, self.next = self.next, self.next + n
        return [f"{self.prefix}{i:09d}" for i in range(first, first + n)]


class Clients:
    """Distinct client addresses (X-Forwarded-For), never reused in a run."""

    def __init__(self):
        self.next = 1

    def take(self, n: int) -> list[str]:
        first, self.next = self.next, self.next + n
        return [client_ip(i) for i in range(first, first + n)]


CLIENTS = Clients()


def solve_captchas(server: Server, n: int) -> list[tuple[str, str]]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    answers = parallel(server, [("GET", f"/get_captcha?captcha_uuid={i}", None, SOLVE) for i in ids])
    bad = [status for status, _ in answers if status != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} of {n} captchas refused (first status {bad[0]})")
    return [(i, body.decode()) for i, (_, body) in zip(ids, answers, strict=False)]


def sms_codes(server: Server, mobiles: set[str], purpose: str = "register") -> dict[str, str]:
    """The live code of each mobile for this purpose, from the harness's "mobile purpose code" lines."""
    codes = {}
    for entry in server.sms_file.read_text().splitlines():
        mobile, sent_for, code = entry.split()
        if sent_for == purpose and mobile in mobiles:
            codes[mobile] = code  # the last line per mobile is its live code
    return codes


def bench_accounts(database_url: str, prefix: str) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = (
            connection.execute(
                text("SELECT mobile FROM users WHERE nickname = :n AND mobile LIKE :p ORDER BY id"),
                {"n": NICKNAME, "p": prefix + "%"},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    return list(rows)


def sms_body(mobile: str, captcha: tuple[str, str]) -> dict:
    return {"mobile": mobile, "captcha": captcha[1], "captcha_uuid": captcha[0]}


def register_body(mobile: str, code: str) -> dict:
    return {
        "nickname": NICKNAME,
        "mobile": mobile,
        "vercode": code,
        "password": PASSWORD,
        "confirmPassword": PASSWORD,
        "agreement": True,
    }


def login_body(mobile: str, password: str, captcha: tuple[str, str]) -> dict:
    return {
        "mobile": mobile,
        "password": password,
        "captcha": captcha[1],
        "captcha_uuid": captcha[0],
        "remember": False,
    }
