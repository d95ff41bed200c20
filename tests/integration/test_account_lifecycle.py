"""注销, erasure, 个人信息副本 and consent through the HTTP API and the `accounts` command, on every database.

Time is frozen and moved through the cool-off; `accounts purge` runs as operators run it (CliRunner, the same
DATABASE_URL and SECRET_KEY as the app).
"""

from __future__ import annotations

import json
import re
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import create_engine, func, insert, inspect, select

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import run_alembic, upgrade
from adapters.sqlalchemy.tables import audit_events, consents, users
from domain.errors import DataCopyLimitReached
from domain.rules import PRIVACY_VERSION, TERMS_VERSION
from domain.use_cases.export_account_data import DataExportRequest
from entrypoints import cli
from tests.conftest import ApiClient
from tests.integration.test_openapi import assert_conforms
from tests.integration.test_races import CLIENT as RACE_CLIENT
from tests.integration.test_races import Kit, N, race

MOBILE, OTHER = "13800138000", "13900139000"
PASSWORD = "s3cure-Passw0rd"
SECRET = "f10dbeeb5b3cf0c34ae3d629dae8a01626ecdfa3"  # what make_app gives the app
T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
COOL_OFF = timedelta(days=15)


@pytest.fixture
def api(make_app, database_url, sms, captcha) -> ApiClient:
    return ApiClient(make_app(database_url), sms, captcha)


@pytest.fixture
def accounts(database_url, monkeypatch):
    """Runs the operator command against the app's database: accounts("purge") -> output."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    cli.engine.cache_clear()

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli.cli, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    yield run
    cli.engine.cache_clear()


def query(api: ApiClient, statement):
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        result = connection.execute(statement).mappings().all()
    engine.dispose()
    return result


def user_row(api: ApiClient, user_id: int):
    [row] = query(api, select(users).where(users.c.id == user_id))
    return row


def signed_up(api: ApiClient, mobile: str = MOBILE) -> int:
    """A new account, signed in; returns its id."""
    assert api.register(mobile, PASSWORD).status_code == 200
    assert api.login(mobile, PASSWORD).status_code == 200
    [row] = query(api, select(users.c.id).where(users.c.mobile == mobile))
    return row["id"]


def request_deletion(api: ApiClient, password: str = PASSWORD):
    response = api.post("/api/account/delete", {"currentPassword": password})
    if response.status_code == 200:
        api.token = None  # the session ended, and its CSRF token with it
    return response


def error_of(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == slug and not body["message"].isascii()
    return body


# --- 注销 ---------------------------------------------------------------------------------------------------


def test_deletion_ends_every_session_and_after_the_cool_off_purge_erases_the_account(api, accounts, sms):
    other_browser = ApiClient(api.app, sms, api.captcha, ip="198.51.100.4")
    with freeze_time(T0) as clock:
        user_id = signed_up(api)
        assert other_browser.login(MOBILE, PASSWORD).status_code == 200
        api.post("/api/account/nickname", {"nickname": "小明的新名字"})

        refused = api.post("/api/account/delete", {"currentPassword": "not-my-password"})
        assert assert_conforms("POST", "/api/account/delete", refused)["error"] == "current_password_invalid"
        assert user_row(api, user_id)["deletion_due_at"] is None

        answer = request_deletion(api)
        body = assert_conforms("POST", "/api/account/delete", answer)
        assert datetime.fromisoformat(body["due_at"]) == T0 + COOL_OFF
        assert "2026-03-16 09:00" in body["message"]  # in Beijing time
        for browser in (api, other_browser):  # every session ended at once, this one included
            error_of(browser.get("/api/account/export"), 401, "login_required")
        assert len(query(api, select(audit_events).where(audit_events.c.type == "account.deletion_requested"))) == 1

        clock.move_to(T0 + COOL_OFF - timedelta(seconds=1))
        assert "accounts: 0 erased" in accounts("purge")
        assert user_row(api, user_id)["mobile"] == MOBILE

        clock.move_to(T0 + COOL_OFF)
        events_before = query(api, select(audit_events).order_by(audit_events.c.id))
        assert "accounts: 1 erased" in accounts("purge")
        assert "accounts: 0 erased" in accounts("purge")  # idempotent

        assert query(api, select(users).where(users.c.id == user_id)) == []
        assert query(api, select(consents).where(consents.c.user_id == user_id)) == []

        pseudonym = accounts("pseudonym", MOBILE).strip()
        assert re.fullmatch(r"x[a-z2-7]{10}", pseudonym)
        events_after = query(api, select(audit_events).order_by(audit_events.c.id))
        assert [e["id"] for e in events_after[:-1]] == [e["id"] for e in events_before]  # every row kept
        assert all(e["mobile"] != MOBILE for e in events_after)
        for old, new in zip(events_before, events_after, strict=False):
            assert new["mobile"] == (pseudonym if old["mobile"] == MOBILE else old["mobile"])
            assert (new["type"], new["occurred_at"], new["ip"], new["user_agent"]) == (
                old["type"],
                old["occurred_at"],
                old["ip"],
                old["user_agent"],
            )
        renamed = next(e for e in events_after if e["type"] == "nickname.changed")
        assert renamed["detail"] == {"previous": None, "nickname": None}
        erased = events_after[-1]
        assert (erased["type"], erased["user_id"], erased["mobile"]) == ("account.erased", user_id, pseudonym)
        assert erased["user_agent"] == "accounts purge"
        listed = accounts("audit", "--mobile", pseudonym, "--limit", "1000").strip().splitlines()
        assert len(listed) == sum(1 for e in events_after if e["mobile"] == pseudonym)  # still followable

        error_of(api.login(MOBILE, PASSWORD), 401, "bad_credentials")

        clock.tick(60)
        assert api.register(MOBILE, PASSWORD, nickname="新用户").status_code == 200  # the mobile is free
        [fresh] = query(api, select(users).where(users.c.mobile == MOBILE))
        assert fresh["id"] > user_id  # ids are never handed out again
        assert api.login(MOBILE, PASSWORD).status_code == 200
        copy = json.loads(api.get("/api/account/export").get_data(as_text=True))
        assert copy["account"]["id"] == fresh["id"] and copy["account"]["nickname"] == "新用户"
        assert {e["user_id"] for e in copy["events"]} <= {None, fresh["id"]}
        assert not {"account.deletion_requested", "nickname.changed"} & {e["type"] for e in copy["events"]}


def test_signing_in_during_the_cool_off_cancels_the_deletion_and_says_so(api, accounts):
    with freeze_time(T0) as clock:
        user_id = signed_up(api)
        assert request_deletion(api).status_code == 200
        clock.move_to(T0 + timedelta(days=10))
        back = api.login(MOBILE, PASSWORD)
        body = assert_conforms("POST", "/api/login", back)
        assert body["deletion_cancelled"] is True and "注销申请已撤销" in body["message"]
        assert user_row(api, user_id)["deletion_due_at"] is None
        clock.move_to(T0 + COOL_OFF * 2)
        assert "accounts: 0 erased" in accounts("purge")
        again = api.login(MOBILE, PASSWORD)
        assert again.status_code == 200 and "deletion_cancelled" not in again.get_json()
    types = [e["type"] for e in query(api, select(audit_events.c.type).order_by(audit_events.c.id))]
    assert types.count("account.deletion_cancelled") == 1 and "account.erased" not in types


def test_deletion_needs_a_session_and_a_json_password(api):
    error_of(api.post("/api/account/delete", {"currentPassword": PASSWORD}), 401, "login_required")
    signed_up(api)
    error_of(api.post("/api/account/delete", {}), 400, "invalid_input")
    error_of(api.post("/api/account/delete", {"currentPassword": ["x"]}), 400, "invalid_input")
    no_token = api.http.post("/api/account/delete", json={"currentPassword": PASSWORD}, environ_base=api.environ)
    error_of(no_token, 400, "csrf_invalid")
    assert api.get("/api/account/export").status_code == 200  # still signed in: nothing happened


def test_the_cancellation_page_says_what_goes_and_what_stays(api):
    page = api.get("/settings/delete-account")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    signed_up(api)
    settings = api.get("/settings").get_data(as_text=True)
    assert 'href="/settings/delete-account"' in settings
    html = api.get("/settings/delete-account").get_data(as_text=True)
    for words in (
        "15 天冷静期",
        "永久删除",
        "手机号",
        "昵称",
        "登录密码",
        "安全日志",
        "180 天",
        "假名",
        'href="/api/account/export"',
        'name="currentPassword"',
        'autocomplete="current-password"',
    ):
        assert words in html, words
    assert re.search(r'<script src="/static/js/delete_account\.[0-9a-f]{12}\.js"></script>', html)  # asset()
    assert 'name="understood"' in html and "checked" not in html.split('name="understood"')[1].split(">")[0]


def test_the_pseudonym_command_refuses_what_is_not_a_mobile(accounts):
    result = CliRunner().invoke(cli.cli, ["pseudonym", "12345"])
    assert result.exit_code == 2 and "手机号格式不正确" in result.output


# --- 个人信息副本 -----------------------------------------------------------------------------------------------


def test_the_copy_is_a_utf8_json_attachment_with_consents_and_every_event(make_app, database_url, sms, captcha):
    api = ApiClient(make_app(database_url, RULES={"export_page_size": 7}), sms, captcha)
    with freeze_time(T0 + timedelta(hours=1)):  # the session cookie is signed with the time: one clock throughout
        user_id = signed_up(api)
        # A long history with many events at one instant, so that pages end in the middle of a tie.
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(
                insert(audit_events),
                [
                    {
                        "type": "login.succeeded",
                        "occurred_at": T0 + timedelta(minutes=i // 10),
                        "mobile": MOBILE,
                        "user_id": user_id,
                        "ip": "10.0.0.1",
                        "user_agent": "测试浏览器",
                        "detail": {"n": i},
                    }
                    for i in range(95)
                ]
                + [
                    {
                        "type": "login.succeeded",
                        "occurred_at": T0,
                        "mobile": OTHER,
                        "user_id": user_id + 1000,
                        "ip": None,
                        "user_agent": None,
                        "detail": {},
                    }
                ],
            )
        engine.dispose()
        response = api.get("/api/account/export")
    body = assert_conforms("GET", "/api/account/export", response)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="data-copy-\d{8}\.json"; '
        r"filename\*=UTF-8''%E4%B8%AA%E4%BA%BA%E4%BF%A1%E6%81%AF%E5%89%AF%E6%9C%AC-\d{8}\.json",
        response.headers["Content-Disposition"],
    )
    assert "测试浏览器" in response.get_data(as_text=True)  # UTF-8, not \\u escapes
    assert body["account"]["mobile"] == MOBILE and "password_hash" not in json.dumps(body)
    assert [(c["document"], c["version"]) for c in body["consents"]] == [
        ("terms", TERMS_VERSION),
        ("privacy", PRIVACY_VERSION),
    ]

    stored = query(
        api,
        select(audit_events)
        .where(
            (audit_events.c.user_id == user_id)
            | ((audit_events.c.user_id.is_(None)) & (audit_events.c.mobile == MOBILE))
        )
        .order_by(audit_events.c.occurred_at, audit_events.c.id),
    )
    exported = body["events"]
    assert len(exported) == len(stored) == 95 + 5  # every one of them, once (and not the other account's)
    assert [(e["type"], e["detail"]) for e in exported] == [(e["type"], e["detail"]) for e in stored]
    assert exported[0]["type"] == "login.succeeded" and exported[0]["detail"] == {"n": 0}
    unattributed = [e for e in exported if e["user_id"] is None]
    assert [e["type"] for e in unattributed] == ["sms_code.sent"]  # the sign-up code, sent before the account
    assert exported[-1]["type"] == "data.exported"
    assert OTHER not in json.dumps(exported)


def test_the_copy_holds_events_about_a_number_only_while_the_account_held_it(api):
    """The number's previous holder (before the account existed) and its next holder (after the account's 换绑
    away) are not in the copy; events about the number while the account held it are."""
    registered_at = T0 + timedelta(hours=10)
    hour = timedelta(hours=1)
    with freeze_time(registered_at):  # the session cookie is signed with the time: one clock throughout
        user_id = signed_up(api)

        def about(mobile: str, at: datetime, marker: str, **row):
            event = {"type": "login.failed", "occurred_at": at, "mobile": mobile, "user_id": None, "ip": None}
            return event | {"user_agent": None, "detail": {"marker": marker}} | row

        engine = create_engine(api.app.config["DATABASE_URL"])
        with engine.begin() as connection:
            connection.execute(
                insert(audit_events),
                [
                    about(MOBILE, registered_at - hour, "previous holder of the first number"),
                    about(OTHER, registered_at + hour, "previous holder of the second number"),
                    about(MOBILE, registered_at + hour, "first number, held"),
                    about(OTHER, registered_at + 2 * hour, "the 换绑", type="mobile.changed", user_id=user_id),
                    about(MOBILE, registered_at + 3 * hour, "next holder of the first number"),
                    about(OTHER, registered_at + 4 * hour, "second number, held"),
                ],
            )
            connection.execute(users.update().where(users.c.id == user_id).values(mobile=OTHER))
        engine.dispose()
        body = assert_conforms("GET", "/api/account/export", api.get("/api/account/export"))
    markers = [e["detail"].get("marker") for e in body["events"] if "marker" in e["detail"]]
    assert markers == ["first number, held", "the 换绑", "second number, held"]
    assert [e["type"] for e in body["events"] if e["user_id"] is None][0] == "sms_code.sent"  # its sign-up code


def test_an_account_gets_a_few_copies_an_hour(api):
    with freeze_time(T0) as clock:
        signed_up(api)
        for _ in range(3):
            assert api.get("/api/account/export").status_code == 200
            clock.tick(60)
        refused = api.get("/api/account/export")
        body = assert_conforms("GET", "/api/account/export", refused)
    assert (refused.status_code, body["error"], body["retry_after"]) == (429, "data_copy_limit", 57 * 60)
    assert refused.headers["Retry-After"] == str(57 * 60)
    assert body["message"] == "下载我的数据过于频繁，请 57 分钟后再试"


def test_of_twenty_racing_copies_of_one_account_at_most_the_limit_are_made(database_url):
    kit = Kit(database_url)
    user_id = kit.register(kit.send_code())
    wins, refusals = race(
        lambda _: list(kit.services.export_account_data(DataExportRequest(user_id, RACE_CLIENT)).events), range(N)
    )
    limit = kit.services.rules.data_copies_per_window
    assert len(wins) == limit and len(refusals) == N - limit
    assert {type(refusal) for refusal in refusals} == {DataCopyLimitReached}
    exported = select(func.count()).select_from(audit_events).where(audit_events.c.type == "data.exported")
    assert kit.scalar(exported) == limit


def test_an_event_type_this_version_does_not_know_is_copied_as_stored(api):
    """A newer version (or a rollback to an older one) can leave types in the log that this code has no name for:
    the copy carries them as they are instead of failing part way."""
    with freeze_time(T0 - timedelta(minutes=1)):  # the account exists, and holds its number, before them
        user_id = signed_up(api)
        engine = create_engine(api.app.config["DATABASE_URL"])
        with engine.begin() as connection:
            connection.execute(
                insert(audit_events),
                [
                    {
                        "type": "account.from_a_newer_version",
                        "occurred_at": T0,
                        "mobile": MOBILE,
                        "user_id": user_id,
                        "detail": {},
                    },
                    {
                        "type": "sms_code.from_a_newer_version",
                        "occurred_at": T0,
                        "mobile": MOBILE,
                        "user_id": None,
                        "detail": {},
                    },
                ],
            )
        engine.dispose()
    with freeze_time(T0 + timedelta(minutes=1)):
        response = api.get("/api/account/export")
    assert response.status_code == 200
    types = [e["type"] for e in json.loads(response.get_data(as_text=True))["events"]]
    assert types[-3:-1] == ["account.from_a_newer_version", "sms_code.from_a_newer_version"]
    assert types[-1] == "data.exported"


def test_a_long_history_streams_in_bounded_memory(make_app, database_url, sms, captcha):
    api = ApiClient(make_app(database_url), sms, captcha)
    user_id = signed_up(api)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for start in range(0, 20_000, 5_000):
            connection.execute(
                insert(audit_events),
                [
                    {
                        "type": "login.failed",
                        "occurred_at": T0 + timedelta(seconds=i),
                        "mobile": MOBILE,
                        "user_id": user_id,
                        "ip": "203.0.113.9",
                        "user_agent": "Mozilla/5.0 " + "x" * 200,
                        "detail": {"reason": "bad_credentials"},
                    }
                    for i in range(start, start + 5_000)
                ],
            )
    engine.dispose()

    tracemalloc.start()
    response = api.get("/api/account/export", buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    assert size > 7_000_000
    assert peak < size / 4, f"peak {peak:,} bytes while streaming {size:,}"


def test_the_copy_needs_a_session(api):
    assert assert_conforms("GET", "/api/account/export", api.get("/api/account/export"))["error"] == "login_required"


def test_profile_links_the_copy(api):
    signed_up(api)
    assert 'href="/api/account/export"' in api.get("/profile").get_data(as_text=True)


# --- consent ---------------------------------------------------------------------------------------------


def test_sign_up_asks_for_both_documents_unticked_and_records_their_versions(api):
    html = api.get("/register").get_data(as_text=True)
    box = re.search(r'<input type="checkbox" name="agreement"[^>]*>', html).group(0)
    assert "checked" not in box
    assert 'href="/terms"' in html and 'href="/privacy"' in html and "《隐私政策》" in html

    with freeze_time(T0) as clock:  # one clock for the session cookie, the SMS cooldown and the records
        api.token = None
        assert api.send_sms(MOBILE).status_code == 200
        code = api.sms.last_code(MOBILE)
        refused = api.post(
            "/api/register",
            {
                "nickname": "小明",
                "mobile": MOBILE,
                "vercode": code,
                "password": PASSWORD,
                "confirmPassword": PASSWORD,
                "agreement": False,
            },
        )
        assert error_of(refused, 400, "agreement_required")["field"] == "agreement"
        assert query(api, select(consents)) == []

        clock.tick(61)
        user_id = signed_up(api)
    given_at = T0 + timedelta(seconds=61)
    assert [(r["user_id"], r["document"], r["version"], r["given_at"]) for r in query(api, select(consents))] == [
        (user_id, "terms", TERMS_VERSION, given_at),
        (user_id, "privacy", PRIVACY_VERSION, given_at),
    ]
    [given] = query(api, select(audit_events).where(audit_events.c.type == "consent.given"))
    assert given["user_id"] == user_id and given["detail"] == {
        "documents": {"terms": TERMS_VERSION, "privacy": PRIVACY_VERSION}
    }


@pytest.mark.parametrize("agreement", [None, False, "", "off", "0"], ids=["absent", "false", "empty", "off", "0"])
def test_sign_up_without_the_ticked_agreement_is_refused(api, sms, agreement):
    assert api.send_sms(MOBILE).status_code == 200
    form = {
        "nickname": "小明",
        "mobile": MOBILE,
        "vercode": sms.last_code(MOBILE),
        "password": PASSWORD,
        "confirmPassword": PASSWORD,
    }
    if agreement is not None:
        form["agreement"] = agreement
    assert error_of(api.post("/api/register", form), 400, "agreement_required")["field"] == "agreement"
    assert query(api, select(users)) == []


def test_the_privacy_policy_says_what_why_how_long_and_how_to_leave(api):
    page = api.get("/privacy")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for words in (
        "隐私政策",
        f"版本：{PRIVACY_VERSION}",
        "手机号",
        "昵称",
        "IP 地址",
        "设备与浏览器信息",
        "User-Agent",
        "180 天",
        "15 天的冷静期",
        "注销账号",
        "下载我的数据",
        "去标识化的假名",
        "短信服务商",
    ):
        assert words in html, words
    terms = api.get("/terms").get_data(as_text=True)
    assert f"版本：{TERMS_VERSION}" in terms and 'href="/privacy"' in terms


# --- the schema --------------------------------------------------------------------------------------------


def test_the_migration_keeps_every_account_both_ways(database_url):
    """On SQLite the users table is rebuilt (AUTOINCREMENT) going up and down: no row may be lost."""
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(users),
            [{"mobile": f"1380013800{i}", "nickname": "甲", "password_hash": "h", "created_at": T0} for i in range(3)],
        )
    run_alembic(engine, command.downgrade, "0002")
    assert "deletion_due_at" not in {c["name"] for c in inspect(engine).get_columns("users")}
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(select(users.c.mobile).order_by(users.c.id)).scalars().all() == [
            f"1380013800{i}" for i in range(3)
        ]
    engine.dispose()


def test_erasure_pseudonymises_every_mention_of_every_number_the_account_held(api, accounts, sms):
    """Its sign-up number (moved away by 换绑, then taken by Bob) and its last one, wherever another event names
    them: sign-up codes before the account existed and after it left the number, Carol's refused 换绑 to it, an
    operator's export filtered by it. Bob's events about the number he holds now stay his."""
    first, last, carol_number = MOBILE, OTHER, "13600136000"
    stranger = ApiClient(api.app, sms, api.captcha, ip="198.51.100.7")
    carol = ApiClient(api.app, sms, api.captcha, ip="198.51.100.8")
    bob = ApiClient(api.app, sms, api.captcha, ip="198.51.100.9")
    with freeze_time(T0) as clock:
        assert stranger.send_sms(first).status_code == 200  # before the account existed
        clock.tick(61)
        user_id = signed_up(api, first)
        clock.tick(61)
        assert api.post("/api/account/mobile/send_current_code", api.solve_captcha()).status_code == 200
        current = sms.last_code(first, "change_mobile")
        assert api.post("/api/account/mobile/send_code", {"mobile": last, **api.solve_captcha()}).status_code == 200
        body = {"mobile": last, "vercode": sms.last_code(last, "change_mobile"), "currentVercode": current}
        assert api.post("/api/account/mobile", {**body, "currentPassword": PASSWORD}).status_code == 200
        api.token = None
        clock.tick(61)
        assert stranger.send_sms(first).status_code == 200  # after it left the number
        assert carol.register(carol_number, PASSWORD, nickname="Carol").status_code == 200
        assert carol.login(carol_number, PASSWORD).status_code == 200
        refused = carol.post("/api/account/mobile/send_code", {"mobile": last, **carol.solve_captcha()})
        error_of(refused, 409, "mobile_in_use")
        engine = create_engine(api.app.config["DATABASE_URL"])
        with engine.begin() as connection:  # what the console's export records (detail.filters)
            connection.execute(
                insert(audit_events).values(
                    type="admin.audit_exported",
                    occurred_at=T0 + timedelta(seconds=200),  # before Bob took the number
                    detail={"operator": "ops", "filters": {"mobile": last, "q": [f"m={first}"]}, "rows": 3},
                )
            )
        engine.dispose()
        clock.tick(61)
        assert bob.register(first, PASSWORD, nickname="Bob").status_code == 200  # the next holder of the number
        clock.tick(61)
        assert bob.login(first, PASSWORD).status_code == 200
        bob_took_it = T0 + timedelta(seconds=61 * 4)
        assert request_deletion(api).status_code == 200

        clock.move_to(T0 + COOL_OFF + timedelta(hours=1))
        before = query(api, select(audit_events).order_by(audit_events.c.id))
        assert "accounts: 1 erased" in accounts("purge")
        after = query(api, select(audit_events).order_by(audit_events.c.id))

    first_pseudonym, last_pseudonym = (accounts("pseudonym", n).strip() for n in (first, last))
    bobs = [e for e in after if e["occurred_at"] >= bob_took_it and e["type"] != "account.erased"]
    assert bobs and all(e["mobile"] in (first, None) and e["user_id"] != user_id for e in bobs[:2])
    for old, new in zip(before, after, strict=False):
        text = f"{new['mobile']} {json.dumps(new['detail'])}"
        assert last not in text, new  # nobody holds its last number: no mention left anywhere
        if new in bobs:
            continue
        assert first not in text, new
        if old["mobile"] in (first, last):
            assert new["mobile"] in (first_pseudonym, last_pseudonym)
    refused_change = next(e for e in after if e["type"] == "sms_code.refused" and e["ip"] == "198.51.100.8")
    assert refused_change["mobile"] == last_pseudonym and refused_change["user_id"] != user_id
    exported = next(e for e in after if e["type"] == "admin.audit_exported")
    assert exported["detail"]["filters"] == {"mobile": last_pseudonym, "q": [f"m={first_pseudonym}"]}
    [registered_by_bob] = [e for e in after if e["type"] == "user.registered" and e["mobile"] == first]
    assert registered_by_bob["user_id"] != user_id
