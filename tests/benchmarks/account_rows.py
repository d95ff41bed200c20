"""The rows for the account features beyond sign-up and password sign-in: 验证码登录 for a new mobile and for an
account, the signed-in session list, the data copy (下载我的数据) and the operator console's dashboard, all over HTTP.

Each function prepares its requests beforehand, as run.py's rows do (solved captchas, live SMS codes, signed-in
cookies), then hands them to `measured` (run.run_sequence), which replays them once each with wrk and records
req/s, p50, p99 and the workers' own CPU per request.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.events import EventType
from domain.rules import Rules
from tests.benchmarks.loadgen import ROOT, VENV_BIN, Server, line, log, parallel, request
from tests.benchmarks.prepare import CLIENTS, PASSWORD, Mobiles, login_body, sms_body, sms_codes, solve_captchas

Measured = Callable[[str, int, list[str]], None]

# The harness's app secret (BENCH_SECRET_KEY, set by run.py): the operator's setup link is made by the CLI, and its
# digest is keyed by the secret, so both must use the same one.
SECRET_KEY = "ab7662b2970b56d58fb85875a86c9635bab58e34"
OPERATOR_PASSWORD = "bench console pass phrase"
DEVICES = [  # the session list's account signs in from these: phones, tablets, desktops
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 Edg/130.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Linux; Android 13; V2254A) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36 VivoBrowser/19",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0 Safari/537.36 QQBrowser/12.5",
]
EXPORT_ACCOUNTS = 300  # each exported at most POOL / EXPORT_ACCOUNTS times in the row: its history barely grows
# A few months of use per exported account, besides the sign-up's own events: (type, how many, detail)
HISTORY = [
    (EventType.LOGIN_SUCCEEDED, 12, {"method": "sms", "remember": True}),
    (EventType.LOGIN_FAILED, 4, {"reason": "bad_credentials", "method": "sms"}),
    (EventType.USER_LOGGED_OUT, 6, {}),
    (EventType.SMS_CODE_SENT, 6, {"purpose": "login", "provider": "aliyun", "message_id": "bench^0"}),
    (EventType.NICKNAME_CHANGED, 1, {}),
    (EventType.SESSION_REVOKED, 1, {"session": "bench-revoked"}),
]


def sms_login_body(mobile: str, code: str) -> dict:
    return {"mobile": mobile, "vercode": code, "remember": False, "agreement": True}  # as the page posts it


def send_login_codes(server: Server, mobiles: list[str]) -> dict[str, str]:
    """A code for each mobile through POST /api/send_login_sms (solved captcha, own client address)."""
    captchas = solve_captchas(server, len(mobiles))
    answers = parallel(
        server,
        [
            ("POST", "/api/send_login_sms", sms_body(m, c), {"X-Forwarded-For": ip})
            for m, c, ip in zip(mobiles, captchas, CLIENTS.take(len(mobiles)), strict=False)
        ],
    )
    refused = [status for status, _ in answers if status != 200]
    if refused:
        raise RuntimeError(f"{len(refused)} of {len(mobiles)} sign-in codes refused (first status {refused[0]})")
    return sms_codes(server, set(mobiles), "login")


def signed_in_cookie(server: Server, path: str, body: dict, headers: dict | None = None, name: str = "session") -> str:
    """One sign-in; returns its cookie as `name=value`."""
    got: dict[str, str] = {}
    status, answer = request(server.port, "POST", path, body, headers, response_headers=got)
    server.served += 1
    cookie = got.get("set-cookie", "").split(";", 1)[0]
    if status != 200 or not cookie.startswith(name + "="):
        raise RuntimeError(f"POST {path} answered {status} {answer[:200]!r}, cookie {cookie!r}")
    return cookie


def existing(database_url: str, mobiles: list[str]) -> list[str]:
    """Those of these mobiles that have an account now."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = set(
            connection.execute(
                text("SELECT mobile FROM users WHERE mobile LIKE :p"), {"p": mobiles[0][:2] + "%"}
            ).scalars()
        )
    engine.dispose()
    return [m for m in mobiles if m in found]


def warm_up(server: Server, mobiles: Mobiles) -> None:
    """Each of these endpoints a few times before the warm-up's memory snapshot (target 4), so that what they load
    on first use (the console app's templates, the export's encoder) counts as the baseline, not as growth."""
    phones = mobiles.take(4)
    codes = send_login_codes(server, phones)
    cookies = [signed_in_cookie(server, "/api/login_sms", sms_login_body(m, codes[m])) for m in phones]
    console = operator_cookie(server, "benchwarmup")
    parallel(
        server,
        [
            ("GET", path, None, {"Cookie": cookie})
            for cookie in cookies
            for path in ("/api/account/sessions", "/api/account/export")
        ]
        + [("GET", "/admin/", None, {"Cookie": console})] * 4,
        4,
    )


# --- 验证码登录 -----------------------------------------------------------------------------------------------


@dataclass
class SignedUp:
    mobiles: list[str]  # sent a sign-in code, then signed in (and so signed up) with it in the row
    codes_sent_at: float  # time.monotonic() after the last code went out


def sms_sign_up_row(server: Server, measured: Measured, mobiles: Mobiles, pool: int, label: str) -> SignedUp:
    """POST /api/login_sms for mobiles with no account: one-step sign-up (agreement ticked), no argon2."""
    phones = mobiles.take(pool)
    log(f"{label}: solving {pool:,} captchas and sending sign-in codes to new mobiles")
    codes = send_login_codes(server, phones)
    sent_at = time.monotonic()
    ready = [m for m in phones if m in codes]
    measured(
        "POST /api/login_sms (new account)",
        200,
        [
            line("POST", "/api/login_sms", sms_login_body(m, codes[m]), ip)
            for m, ip in zip(ready, CLIENTS.take(len(ready)), strict=False)
        ],
    )
    return SignedUp(ready, sent_at)


def sms_sign_in_row(server: Server, measured: Measured, signed_up: SignedUp, label: str) -> None:
    """POST /api/login_sms for accounts: those the sign-up row made, each with a new code. The per-mobile cooldown
    (60 s by default) must have passed since their first code: waits for what is left of it."""
    accounts = existing(server.database_url, signed_up.mobiles)
    if not accounts:
        raise RuntimeError("the SMS sign-up row made no account: nothing to sign in to by SMS")
    cooldown = Rules.__dataclass_fields__["sms_cooldown"].default  # the default rules, as the harness serves
    wait = cooldown.total_seconds() + 1 - (time.monotonic() - signed_up.codes_sent_at)
    if wait > 0:
        log(f"{label}: waiting {wait:.0f} s for the per-mobile SMS cooldown before new sign-in codes")
        time.sleep(wait)
    log(f"{label}: solving {len(accounts):,} captchas and sending sign-in codes to the accounts")
    codes = send_login_codes(server, accounts)
    ready = [m for m in accounts if m in codes]
    measured(
        "POST /api/login_sms (success)",
        200,
        [
            line("POST", "/api/login_sms", sms_login_body(m, codes[m]), ip)
            for m, ip in zip(ready, CLIENTS.take(len(ready)), strict=False)
        ],
    )


# --- 登录设备管理 and 下载我的数据 ---------------------------------------------------------------------------------


def session_list_row(server: Server, measured: Measured, mobile: str, pool: int, label: str) -> None:
    """GET /api/account/sessions for an account signed in on len(DEVICES) devices (password sign-ins)."""
    log(f"{label}: signing {mobile} in on {len(DEVICES)} devices")
    captchas = solve_captchas(server, len(DEVICES))
    cookies = [
        signed_in_cookie(
            server, "/api/login", login_body(mobile, PASSWORD, c), {"User-Agent": device, "X-Forwarded-For": ip}
        )
        for device, c, ip in zip(DEVICES, captchas, CLIENTS.take(len(DEVICES)), strict=False)
    ]
    measured("GET /api/account/sessions", 200, [line("GET", "/api/account/sessions", cookie=cookies[-1])] * pool)


def export_row(server: Server, measured: Measured, mobiles: Mobiles, pool: int, label: str) -> None:
    """GET /api/account/export: EXPORT_ACCOUNTS accounts signed up by SMS, each with a history of a few dozen
    events, exported in turn (each export adds its own data.exported event: one account exported thousands of
    times would measure a history nobody has)."""
    phones = mobiles.take(EXPORT_ACCOUNTS)
    log(
        f"{label}: {EXPORT_ACCOUNTS} accounts for the data copy: SMS sign-up, then "
        f"{sum(n for _, n, _ in HISTORY)} audit events each"
    )
    codes = send_login_codes(server, phones)
    ips = CLIENTS.take(len(phones))
    with ThreadPoolExecutor(max_workers=6) as threads:
        cookies = list(
            threads.map(
                lambda m, ip: signed_in_cookie(
                    server, "/api/login_sms", sms_login_body(m, codes[m]), {"X-Forwarded-For": ip}
                ),
                phones,
                ips,
            )
        )
    add_history(server.database_url, phones)
    measured(
        "GET /api/account/export",
        200,
        [line("GET", "/api/account/export", cookie=cookies[i % len(cookies)]) for i in range(pool)],
    )


def add_history(database_url: str, mobiles: list[str]) -> None:
    """HISTORY for each account, spread over the past 90 days, written straight to audit_events (as bigdata.py
    loads the big data set): thousands of API calls would only make the same rows more slowly."""
    from sqlalchemy import create_engine, select

    from adapters.sqlalchemy.tables import audit_events, users

    rng = random.Random(len(mobiles))
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        ids = dict(connection.execute(select(users.c.mobile, users.c.id).where(users.c.mobile.in_(mobiles))).all())
        rows = [
            {
                "type": str(kind),
                "occurred_at": now - timedelta(days=90 * rng.random()),
                "mobile": mobile,
                "user_id": ids[mobile],
                "ip": f"10.9.{n & 255}.{rng.randrange(256)}",
                "user_agent": DEVICES[n % len(DEVICES)],
                "request_id": f"{rng.getrandbits(128):032x}",
                "detail": detail,
            }
            for mobile in mobiles
            for kind, count, detail in HISTORY
            for n in range(count)
        ]
        connection.execute(audit_events.insert(), rows)
    engine.dispose()


# --- 管理后台: the dashboard ------------------------------------------------------------------------------------


def operator_cookie(server: Server, username: str) -> str:
    """An auditor (read-only) created with `accounts admin create`, as operators are, enrolled through the setup
    link with a TOTP app (pyotp), signed in through POST /admin/api/login; returns the console cookie."""
    import pyotp

    created = subprocess.run(
        [str(VENV_BIN / "accounts"), "admin", "create", "--username", username, "--role", "auditor"],
        env={**os.environ, "DATABASE_URL": server.database_url, "SECRET_KEY": SECRET_KEY},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    token = re.search(r"/admin/setup#(\S+)", created.stdout)
    if created.returncode or not token:
        raise RuntimeError(f"accounts admin create: {created.stdout}{created.stderr[-500:]}")
    token = token.group(1)

    def post(path: str, body: dict) -> dict:
        status, answer = request(server.port, "POST", path, body)
        server.served += 1
        if status != 200:
            raise RuntimeError(f"POST {path} answered {status} {answer[:200]!r}")
        return json.loads(answer)

    totp = pyotp.TOTP(post("/admin/api/setup/start", {"token": token})["key"].replace(" ", ""))
    post(
        "/admin/api/setup/finish",
        {"token": token, "password": OPERATOR_PASSWORD, "confirmPassword": OPERATOR_PASSWORD, "code": totp.now()},
    )
    # The next time step's code: the one just used for the setup is spent (no replay within its step).
    return signed_in_cookie(
        server,
        "/admin/api/login",
        {"username": username, "password": OPERATOR_PASSWORD, "code": totp.at(time.time() + 30)},
        name="accounts_admin",
    )


def dashboard_row(server: Server, measured: Measured, username: str, pool: int, label: str) -> None:
    """GET /admin/ (概览, 30 days) for a signed-in operator, after one view that rolls the settled days up: the
    row measures the view operators get every time but the first of the day."""
    log(f"{label}: operator {username} for the console's dashboard")
    cookie = operator_cookie(server, username)
    started = time.perf_counter()
    status, answer = request(server.port, "GET", "/admin/", headers={"Cookie": cookie})
    server.served += 1
    if status != 200:
        raise RuntimeError(f"GET /admin/ answered {status} {answer[:200]!r}")
    log(f"  first view (rolls up the settled days): {(time.perf_counter() - started) * 1000:.0f} ms")
    measured("GET /admin/", 200, [line("GET", "/admin/", cookie=cookie)] * pool)
