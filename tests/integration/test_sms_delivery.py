"""Real delivery, end to end: the app configured for Aliyun and Tencent (local fakes of both, tests/
sms_provider_fakes.py), the settings checked at start, the console sender refused when serving for real, what
each provider answer becomes over HTTP, and the delivery receipt endpoints."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.sqlalchemy.tables import audit_events, sms_challenges
from entrypoints import cli
from entrypoints.sms_settings import TEMPLATE_EXAMPLE, InvalidSetting
from entrypoints.web import create_app
from tests.conftest import ApiClient, RecordingSms, server_database
from tests.integration.servers import ROOT, free_port
from tests.integration.tcp_proxy import TcpProxy
from tests.integration.test_openapi import assert_conforms
from tests.sms_provider_fakes import FakeAliyun, FakeTencent

MOBILE = "13800138000"
ALIYUN_SECRET, TENCENT_SECRET = "aliyun-Secret-0123456789abcdef", "tencent-Secret-0123456789abcdef"
TOKEN = "receipt-token-0123456789abcdefghijklmnop"


class Inbox:
    """What the fake providers accepted: the phone, as far as the tests are concerned."""

    def __init__(self, *fakes):
        self.fakes = fakes

    def last_code(self, mobile: str, purpose: str = "register") -> str:
        return [code for fake in self.fakes for m, code in fake.codes() if m == mobile][-1]


@pytest.fixture
def providers():
    aliyun = FakeAliyun("LTAI-test-key", ALIYUN_SECRET).start()
    tencent = FakeTencent("AKID-test-key", TENCENT_SECRET).start()
    yield aliyun, tencent
    aliyun.stop()
    tencent.stop()


def provider_settings(aliyun, tencent, order: str = "aliyun,tencent") -> dict:
    return {
        "SMS_PROVIDER": order,
        "SMS_TIMEOUT_SECONDS": "5",
        "SMS_RECEIPT_TOKEN": TOKEN,
        "ALIYUN_SMS_ACCESS_KEY_ID": aliyun.key_id,
        "ALIYUN_SMS_ACCESS_KEY_SECRET": ALIYUN_SECRET,
        "ALIYUN_SMS_SIGN_NAME": "账号服务",
        "ALIYUN_SMS_TEMPLATES": TEMPLATE_EXAMPLE["aliyun"],
        "ALIYUN_SMS_ENDPOINT": aliyun.url,
        "TENCENT_SMS_SECRET_ID": tencent.key_id,
        "TENCENT_SMS_SECRET_KEY": TENCENT_SECRET,
        "TENCENT_SMS_APP_ID": tencent.app_id,
        "TENCENT_SMS_SIGN_NAME": "账号服务",
        "TENCENT_SMS_TEMPLATES": TEMPLATE_EXAMPLE["tencent"],
        "TENCENT_SMS_ENDPOINT": tencent.url,
    }


@pytest.fixture
def make_real_app(tmp_path, captcha, providers):
    """The app with no SMS sender handed in: it builds the provider chain from its settings, as in production."""

    def make(database_url: str | None = None, **config):
        return create_app(
            {
                "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'app.sqlite3'}",
                "SECRET_KEY": "f10dbeeb5b3cf0c34ae3d629dae8a01626ecdfa3",
                "TESTING": True,
                "AUTO_MIGRATE": True,
                **provider_settings(*providers),
                **config,
            },
            captcha_renderer=captcha,
        )

    return make


@pytest.fixture
def api(make_real_app, providers, captcha, database_url) -> ApiClient:
    return ApiClient(make_real_app(database_url), Inbox(*providers), captcha)


def rows(api: ApiClient, table, *where) -> list[dict]:
    engine = create_engine(api.app.config["DATABASE_URL"])
    with engine.connect() as connection:
        found = [dict(row) for row in connection.execute(select(table).where(*where).order_by(table.c.id)).mappings()]
    engine.dispose()
    return found


def events(api: ApiClient, event_type: str) -> list[dict]:
    return rows(api, audit_events, audit_events.c.type == event_type)


# --- sending through the providers -------------------------------------------------------------------------


def test_a_code_goes_out_through_the_first_provider_and_its_message_id_is_kept(api, providers):
    aliyun, tencent = providers
    response = api.send_sms(MOBILE)
    assert response.status_code == 200, response.get_json()
    [(mobile, code)] = aliyun.codes()
    assert mobile == MOBILE and tencent.received == []
    [challenge] = rows(api, sms_challenges)
    assert (challenge["status"], challenge["provider"], challenge["message_id"]) == ("sent", "aliyun", "000001^0")
    [sent] = events(api, "sms_code.sent")
    assert sent["detail"] == {"purpose": "register", "provider": "aliyun", "message_id": "000001^0"}
    assert api.register(MOBILE, code=code).status_code == 200  # the code that reached the "phone" works


@pytest.mark.parametrize("mode", ["balance", "http_500"])
def test_a_provider_side_failure_fails_over_to_the_next(api, providers, mode):
    aliyun, tencent = providers
    aliyun.mode = mode
    assert api.send_sms(MOBILE).status_code == 200
    assert aliyun.codes() == [] and [m for m, _ in tencent.codes()] == [MOBILE]
    [challenge] = rows(api, sms_challenges)
    assert (challenge["provider"], challenge["message_id"]) == ("tencent", "2640:0000000001")


@pytest.mark.parametrize(
    "mode, status, slug",
    [
        ("throttled", 429, "sms_limit"),
        ("invalid_number", 400, "invalid_mobile"),
    ],
)
def test_a_refusal_of_the_number_is_answered_as_the_projects_own(api, providers, mode, status, slug):
    aliyun, tencent = providers
    aliyun.mode = mode
    response = api.send_sms(MOBILE)
    body = assert_conforms("POST", "/api/send_register_sms", response)
    assert (response.status_code, body["error"], body["field"]) == (status, slug, "mobile")
    assert not body["message"].isascii()
    if status == 429:
        assert body["retry_after"] == 60 and int(response.headers["Retry-After"]) > 0  # (the limiter sets its own)
    assert tencent.received == []  # never tried elsewhere
    [failed] = events(api, "sms_code.send_failed")
    assert (failed["detail"]["provider"], failed["detail"]["reason"]) == ("aliyun", slug)
    aliyun.mode = "ok"
    assert api.send_sms(MOBILE).status_code == 200  # nothing was sent: no cooldown, no cap spent


def test_when_every_provider_fails_it_is_503_and_the_log_names_each_provider_and_code(api, providers, capfd):
    aliyun, tencent = providers
    aliyun.mode, tencent.mode = "sign_name", "balance"
    response = api.send_sms(MOBILE)
    body = assert_conforms("POST", "/api/send_register_sms", response)
    assert (response.status_code, body["error"]) == (503, "sms_unavailable")
    [failed] = events(api, "sms_code.send_failed")
    assert (failed["detail"]["provider"], failed["detail"]["provider_code"]) == (
        "tencent",
        "FailedOperation.InsufficientBalanceInSmsPackage",
    )
    logged = capfd.readouterr().out
    assert '"provider": "aliyun", "code": "isv.SMS_SIGNATURE_ILLEGAL"' in logged
    assert '"provider": "tencent", "provider_code": "FailedOperation.InsufficientBalanceInSmsPackage"' in logged
    assert ALIYUN_SECRET not in logged and TENCENT_SECRET not in logged and MOBILE not in logged
    [challenge] = rows(api, sms_challenges)
    assert (challenge["status"], challenge["spent"]) == ("failed", True)


class RecordingLogs:
    """Stands in for structlog in a module: what it would have logged, without the process-wide setup."""

    def __init__(self):
        self.lines: list[tuple[str, dict]] = []

    def get_logger(self, _name: str):
        return self

    def error(self, event: str, **fields) -> None:
        self.lines.append((event, fields))


def test_a_sent_code_whose_outcome_cannot_be_stored_answers_200_and_purge_settles_it(
    make_real_app, providers, captcha, monkeypatch
):
    aliyun, _ = providers
    app = make_real_app()
    logged = RecordingLogs()
    monkeypatch.setattr(importlib.import_module("entrypoints.web.api"), "structlog", logged)  # the module
    api = ApiClient(app, Inbox(*providers), captcha)
    send = app.extensions["services"].request_sms_code

    class DatabaseGone:
        def __enter__(self):
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("database gone"))

        def __exit__(self, *exc):
            return False

    working_uow = send.uow
    payload = {"mobile": MOBILE, **api.solve_captcha()}
    # The database goes away while the provider answers: the first step has committed, the last cannot.
    aliyun.on_request = lambda: setattr(send, "uow", DatabaseGone)
    response = api.post("/api/send_register_sms", payload)
    send.uow = working_uow
    assert response.status_code == 200  # the SMS went out: the user is told so
    assert logged.lines == [
        ("sms_outcome_not_recorded", {"provider": "aliyun", "message_id": "000001^0", "error": "OperationalError"})
    ]
    [challenge] = rows(api, sms_challenges)
    assert (challenge["status"], challenge["message_id"]) == ("sending", None)  # counted, and the code works
    assert api.register(MOBILE, code=aliyun.codes()[-1][1]).status_code == 200

    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("SECRET_KEY", app.config["SECRET_KEY"])
    with freeze_time(datetime.now(UTC) + timedelta(minutes=6)):  # once the code has expired
        purged = CliRunner().invoke(cli.cli, ["purge"])
    assert purged.exit_code == 0 and "sms sends settled as unconfirmed: 1" in purged.output, purged.output
    assert rows(api, sms_challenges)[0]["status"] == "unconfirmed"
    [settled] = events(api, "sms_code.sent")
    assert settled["detail"]["confirmed"] is False and settled["mobile"] == MOBILE


@pytest.mark.slow
def test_database_connections_cut_during_the_provider_call_leave_the_sent_codes_row(captcha):
    """Once cut mid-traffic, delivered SMS had no row and no event: now the row is there before the provider is
    called, the user is told the code went out, and the database coming back changes nothing."""
    direct = server_database("postgresql")
    parsed = make_url(direct)
    proxy = TcpProxy(parsed.host, parsed.port or 5432)
    proxy.start()

    class CutWhileSending(RecordingSms):
        def send_code(self, mobile, code, purpose):
            proxy.cut()  # every pooled connection dies while the provider works
            return super().send_code(mobile, code, purpose)

    sms = CutWhileSending()
    via_proxy = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(
        {
            "DATABASE_URL": via_proxy,
            "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
            "TESTING": True,
            "AUTO_MIGRATE": True,
        },
        sms_sender=sms,
        captcha_renderer=captcha,
    )
    try:
        response = ApiClient(app, sms, captcha).send_sms(MOBILE)
        assert response.status_code == 200 and sms.sent  # delivered, and said so
        engine = create_engine(direct)
        with engine.connect() as connection:
            [row] = connection.execute(select(sms_challenges)).mappings().all()
        engine.dispose()
        assert (row["mobile"], row["status"]) == (MOBILE, "sending")  # settled by `accounts purge` later
    finally:
        proxy.cut()


# --- settings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, named",
    [
        ({"SMS_PROVIDER": "aliyun,sendgrid"}, "SMS_PROVIDER"),
        ({"SMS_PROVIDER": "aliyun,aliyun"}, "SMS_PROVIDER"),
        ({"SMS_PROVIDER": "console,aliyun"}, "SMS_PROVIDER"),
        ({"ALIYUN_SMS_ACCESS_KEY_SECRET": ""}, "ALIYUN_SMS_ACCESS_KEY_SECRET"),
        ({"ALIYUN_SMS_SIGN_NAME": None}, "ALIYUN_SMS_SIGN_NAME"),
        ({"ALIYUN_SMS_TEMPLATES": "register=SMS_001"}, "ALIYUN_SMS_TEMPLATES"),
        ({"ALIYUN_SMS_TEMPLATES": "register=SMS_001,reset_password=449740"}, "ALIYUN_SMS_TEMPLATES"),
        ({"ALIYUN_SMS_TEMPLATES": "register=SMS_001,reset_password=SMS_002,signup=SMS_003"}, "ALIYUN_SMS_TEMPLATES"),
        ({"ALIYUN_SMS_ENDPOINT": "ftp://127.0.0.1:21"}, "ALIYUN_SMS_ENDPOINT"),
        ({"ALIYUN_SMS_ENDPOINT": "http://127.0.0.1:99999"}, "ALIYUN_SMS_ENDPOINT"),
        ({"TENCENT_SMS_SECRET_KEY": None}, "TENCENT_SMS_SECRET_KEY"),
        ({"TENCENT_SMS_APP_ID": "my-app"}, "TENCENT_SMS_APP_ID"),
        ({"TENCENT_SMS_TEMPLATES": "register=449739;reset_password=449740"}, "TENCENT_SMS_TEMPLATES"),
        ({"TENCENT_SMS_REGION": "Guangzhou!"}, "TENCENT_SMS_REGION"),
        ({"TENCENT_SMS_ENDPOINT": "http://127.0.0.1:8089/path?x=1"}, "TENCENT_SMS_ENDPOINT"),
        ({"SMS_TIMEOUT_SECONDS": "forever"}, "SMS_TIMEOUT_SECONDS"),
        ({"SMS_RECEIPT_TOKEN": "short"}, "SMS_RECEIPT_TOKEN"),
        ({"SMS_ALLOW_CONSOLE": "maybe"}, "SMS_ALLOW_CONSOLE"),
    ],
)
def test_a_missing_or_malformed_setting_stops_the_app_naming_it_and_no_secret(make_real_app, change, named):
    with pytest.raises(InvalidSetting) as stopped:
        make_real_app(**change)
    message = str(stopped.value)
    assert message.startswith(named) or f"{named} " in message, message
    assert ALIYUN_SECRET not in message and TENCENT_SECRET not in message and TOKEN not in message


def test_settings_come_from_the_environment(providers, captcha, tmp_path, monkeypatch):
    for name, value in provider_settings(*providers, order="tencent").items():
        monkeypatch.setenv(name, value)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'env.sqlite3'}",
            "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
            "TESTING": True,
        },
        captcha_renderer=captcha,
    )
    assert ApiClient(app, Inbox(*providers), captcha).send_sms(MOBILE).status_code == 200
    aliyun, tencent = providers
    assert aliyun.received == [] and [m for m, _ in tencent.codes()] == [MOBILE]


def test_the_console_sender_is_refused_unless_allowed(tmp_path):
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}",
        "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
        "AUTO_MIGRATE": True,
    }
    with pytest.raises(InvalidSetting, match="SMS_ALLOW_CONSOLE=1"):
        create_app({**settings, "SMS_ALLOW_CONSOLE": "0"})
    with pytest.raises(InvalidSetting, match="SMS_PROVIDER"):
        create_app({**settings, "SMS_PROVIDER": "console", "SMS_ALLOW_CONSOLE": "0"})
    with pytest.raises(InvalidSetting, match="SMS_ALLOW_CONSOLE=1"):
        create_app(settings)  # production unless said otherwise: the console is refused by default
    # a staging box, said out loud (its rate limits off here: in production memory:// needs the process count)
    assert create_app({**settings, "SMS_ALLOW_CONSOLE": "1", "RATELIMIT_ENABLED": False})
    assert create_app({**settings, "ACCOUNTS_ENV": "development"})  # flask run / make run: the console is the default


def _gunicorn(tmp_path, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "ALIYUN_", "TENCENT_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:entrypoints.gunicorn_conf", "--no-control-socket"],
        cwd=ROOT,
        env={
            **base_env,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
            "SESSION_COOKIE_SECURE": "0",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_gunicorn_refuses_to_start_with_the_console_sender(tmp_path):
    process, _ = _gunicorn(tmp_path, {})
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0
    assert "SMS_PROVIDER: the console sender prints live codes" in output and "SMS_ALLOW_CONSOLE=1" in output


@pytest.mark.slow
def test_gunicorn_serves_with_the_console_when_the_operator_allows_it(tmp_path):
    process, base = _gunicorn(tmp_path, {"SMS_ALLOW_CONSOLE": "1"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        assert process.poll() is None and requests.get(base + "/healthz", timeout=5).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)


# --- delivery receipts ---------------------------------------------------------------------------------------


def aliyun_report(biz_id: str, success: bool = True, code: str = "DELIVERED") -> dict:
    return {
        "phone_number": MOBILE,
        "send_time": "2026-01-01 12:00:00",
        "report_time": "2026-01-01 12:00:05",
        "success": success,
        "err_code": code,
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": "",
    }


def tencent_report(sid: str, status: str = "SUCCESS", code: str = "DELIVRD") -> dict:
    return {
        "user_receive_time": "2026-01-01 12:00:05",
        "nationcode": "86",
        "mobile": MOBILE,
        "report_status": status,
        "errmsg": code,
        "description": "用户短信送达成功",
        "sid": sid,
    }


def post_receipts(api: ApiClient, provider: str, body, token: str = TOKEN):
    # As a provider posts: no session, no CSRF token.
    return api.http.post(f"/api/sms/receipts/{provider}/{token}", json=body)


def test_aliyun_receipts_are_recorded_once_and_shown_by_accounts_audit(api, providers, monkeypatch):
    assert api.send_sms(MOBILE).status_code == 200
    [challenge] = rows(api, sms_challenges)
    report = aliyun_report(challenge["message_id"])
    for _ in range(3):  # providers repeat receipts
        response = post_receipts(api, "aliyun", [report, report])
        assert assert_conforms("POST", "/api/sms/receipts/aliyun/{token}", response) == {"code": 0, "msg": "成功"}
    [delivered] = events(api, "sms_code.delivered")
    assert delivered["mobile"] == MOBILE and delivered["detail"] == {
        "purpose": "register",
        "provider": "aliyun",
        "message_id": "000001^0",
        "status": "DELIVERED",
    }
    assert rows(api, sms_challenges)[0]["delivery"] == "delivered"

    monkeypatch.setenv("DATABASE_URL", api.app.config["DATABASE_URL"])
    cli.engine.cache_clear()
    listed = CliRunner().invoke(cli.cli, ["audit", "--message-id", "000001^0"])
    cli.engine.cache_clear()
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert [line.split()[2] for line in lines] == ["sms_code.delivered", "sms_code.sent"]
    assert "message_id=000001^0" in lines[0] and "status=DELIVERED" in lines[0]


def test_tencent_receipts_record_failures_too(api, providers):
    aliyun, _ = providers
    aliyun.mode = "balance"  # the code goes out through Tencent
    assert api.send_sms(MOBILE).status_code == 200
    sid = rows(api, sms_challenges)[0]["message_id"]
    response = post_receipts(api, "tencent", [tencent_report(sid, "FAIL", "MK:0001"), tencent_report("2640:9")])
    assert assert_conforms("POST", "/api/sms/receipts/tencent/{token}", response) == {"result": 0, "errmsg": "OK"}
    assert response.status_code == 200
    [failed] = events(api, "sms_code.delivery_failed")
    assert (failed["detail"]["message_id"], failed["detail"]["status"]) == (sid, "MK:0001")
    assert events(api, "sms_code.delivered") == []  # the unknown sid is acknowledged, not stored


def test_receipts_need_the_token_and_a_well_formed_batch(api, providers, make_real_app):
    assert api.send_sms(MOBILE).status_code == 200
    biz_id = rows(api, sms_challenges)[0]["message_id"]
    wrong = post_receipts(api, "aliyun", [aliyun_report(biz_id)], token="x" * 40)
    assert assert_conforms("POST", "/api/sms/receipts/aliyun/{token}", wrong)["error"] == "not_found"
    for body, field in [
        ({"biz_id": biz_id}, None),
        ([], None),
        ([{"biz_id": biz_id}], "success"),
        ([{**aliyun_report(biz_id), "biz_id": 7}], "biz_id"),
        ([[[[[]]]]] * 2, None),
    ]:
        refused = post_receipts(api, "aliyun", body)
        assert assert_conforms("POST", "/api/sms/receipts/aliyun/{token}", refused)["field"] == field
        assert refused.status_code == 400
    assert events(api, "sms_code.delivered") == []
    batch = [aliyun_report(biz_id)] + [aliyun_report(f"{i}^0") for i in range(150)]
    assert len(json.dumps(batch).encode()) > 16 * 1024  # over the body limit of the app's own forms
    assert post_receipts(api, "aliyun", batch).status_code == 200
    assert len(events(api, "sms_code.delivered")) == 1
    unset = make_real_app(api.app.config["DATABASE_URL"], SMS_RECEIPT_TOKEN=None).test_client()
    assert unset.post(f"/api/sms/receipts/aliyun/{TOKEN}", json=[aliyun_report(biz_id)]).status_code == 404


def test_receipts_pass_without_csrf_but_the_api_still_needs_it(api):
    response = api.http.post(
        "/api/send_register_sms", json={"mobile": MOBILE, "captcha_uuid": str(uuid.uuid4()), "captcha": "AAAA"}
    )
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_invalid"
    assert post_receipts(api, "tencent", [tencent_report("2640:1")]).status_code == 200


# --- the notice to the number an account leaves ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["ok", "balance"])
def test_the_old_number_gets_the_mobile_changed_notice_through_the_providers(make_real_app, providers, captcha, mode):
    aliyun, tencent = providers
    api = ApiClient(make_real_app(RULES={"sms_cooldown": timedelta(0)}), Inbox(*providers), captcha)
    new = "13900139000"
    assert api.register(MOBILE).status_code == 200
    assert api.login(MOBILE).status_code == 200
    assert api.post("/api/account/mobile/send_current_code", api.solve_captcha()).status_code == 200
    current = api.sms.last_code(MOBILE)
    assert api.post("/api/account/mobile/send_code", {"mobile": new, **api.solve_captcha()}).status_code == 200
    aliyun.mode = mode  # a provider-side failure: the notice fails over like a code
    body = {"mobile": new, "vercode": api.sms.last_code(new), "currentVercode": current}
    changed = api.post("/api/account/mobile", {**body, "currentPassword": "s3cure-Passw0rd"})
    assert changed.status_code == 200, changed.get_json()
    assert (aliyun.notices(), tencent.notices()) == (
        ([(MOBILE, "SMS_006")], []) if mode == "ok" else ([], [(MOBILE, "449744")])
    )
    [sent] = events(api, "mobile_change_notice.sent")
    assert (sent["mobile"], sent["detail"]) == (MOBILE, {"provider": "aliyun" if mode == "ok" else "tencent"})


def test_settings_without_the_notice_template_stop_the_app_with_the_upgrade_step(make_real_app):
    templates = TEMPLATE_EXAMPLE["aliyun"].replace(",mobile_changed_notice=SMS_006", "")
    with pytest.raises(InvalidSetting) as stopped:
        make_real_app(ALIYUN_SMS_TEMPLATES=templates)
    message = str(stopped.value)
    assert message.startswith("ALIYUN_SMS_TEMPLATES has no template for mobile_changed_notice"), message
    assert "docs/sms-providers.md" in message
