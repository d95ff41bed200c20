"""The console's Webhook page over HTTP on every database: each endpoint's lag as the relay leaves it after events
are committed, for an auditor too; read-only; the host only, never the path, query string or secret."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from adapters.sqlalchemy.outbox import SqlOutbox
from adapters.sqlalchemy.tables import audit_events
from domain.events import ClientContext
from domain.outbox import TypeFilter
from domain.use_cases.webhooks import WebhookRegistration
from tests.conftest import ApiClient
from tests.integration.relay_helpers import drain, make_relay
from tests.integration.test_admin_console import Operator
from tests.integration.webhook_receiver import Receiver

EXPORTED = TypeFilter.parse("", "captcha.issued,api_key.used")


def row_of(page: str, endpoint_id: int) -> str:
    return re.search(rf'<tr data-endpoint="{endpoint_id}">(.*?)</tr>', page, re.S).group(1)


def cell(row: str, name: str) -> str:
    return re.search(rf'<td class="webhook-{name}">(.*?)</td>', row, re.S).group(1)


def count_events(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(audit_events)).scalar()


def test_the_page_shows_each_endpoints_lag_after_events_are_committed(make_app, database_url, sms, captcha):
    app = make_app(database_url)
    services = app.extensions["services"]
    auditor = Operator(app, "zhao", "auditor")
    assert auditor.sign_in().status_code == 200
    receiver = Receiver()
    receiver.mode = "down"  # every delivery answered 503: they wait for their retry
    add = services.integrations.add_webhook
    down = add(WebhookRegistration(f"{receiver.url}/s3cret-path?token=abc123", "user.*", True, ClientContext()))
    quiet = add(WebhookRegistration("http://127.0.0.1:9/quiet?key=zzz", "account.*", True, ClientContext()))
    empty = auditor.http.get("/admin/webhooks").get_data(as_text=True)
    assert "超过重试期限（默认 1 天）" in empty  # domain/outbox.py RetryRule, as the relay uses it by default
    assert cell(row_of(empty, down.id), "pending") == "0" and cell(row_of(empty, down.id), "behind") == "0"

    users = ApiClient(app, sms, captcha)
    assert users.register("13800138000").status_code == 200  # user.registered, among others
    relay = make_relay(services.engine, types=EXPORTED)
    asyncio.run(drain(relay))  # numbered, fanned out, tried once: receiver down
    asyncio.run(relay.close())
    before = count_events(services.engine)
    assert users.login("13800138000").status_code == 200
    SqlOutbox(services.engine).sequence(100)  # numbered, not yet handed to the endpoints
    behind = count_events(services.engine) - before
    assert behind > 0

    response = auditor.http.get("/admin/webhooks")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    row = row_of(page, down.id)
    assert cell(row, "pending") == "1" and cell(row, "behind") == str(behind) and cell(row, "failed") == "0"
    assert f"127.0.0.1:{receiver.server.server_port}" in row and "user.*" in row and "HTTP 503" in row
    quiet_row = row_of(page, quiet.id)
    assert (cell(quiet_row, "pending"), cell(quiet_row, "behind")) == ("0", str(behind))
    assert "127.0.0.1:9" in quiet_row and "account.*" in quiet_row
    for secret in ("s3cret-path", "abc123", "/quiet", "zzz", down.secret, quiet.secret, "whsec_"):
        assert secret not in page
    assert "本页只读" in page and "accounts webhooks" in page
    assert "<form" not in page and "data-action" not in page  # nothing to do here, for any role
    receiver.close()


def test_an_admin_reads_the_same_page_and_can_change_nothing_from_it(app):
    admin = Operator(app)
    assert admin.sign_in().status_code == 200
    page = admin.http.get("/admin/webhooks").get_data(as_text=True)
    assert "尚未添加 Webhook 端点" in page and "<form" not in page and 'aria-current="page"' in page
    rules = app.extensions["console_app"].url_map.iter_rules()
    assert [(r.rule, sorted(r.methods)) for r in rules if "webhook" in r.rule] == [
        ("/webhooks", ["GET", "HEAD", "OPTIONS"])
    ]  # the console has no way to change an endpoint
