"""The log stream: audit events go to it without nicknames and without full mobiles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import structlog
from structlog.testing import capture_logs

from adapters import logging as log_module
from adapters.logging import log_event
from domain.events import AuditEvent, ClientContext, EventType

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_audit_logger(monkeypatch):
    """The app configures structlog to cache a logger on first use: once an earlier test in the process has logged,
    the module's audit logger no longer sees capture_logs. A fresh one, made inside capture_logs, does."""
    monkeypatch.setattr(log_module, "audit_logger", structlog.get_logger("audit"))


def test_a_nickname_change_is_logged_without_either_nickname():
    event = AuditEvent(
        EventType.NICKNAME_CHANGED,
        NOW,
        ClientContext(ip="203.0.113.7"),
        mobile="13800138000",
        user_id=7,
        detail={"previous": "张三的小号", "nickname": "李四"},
    )
    with capture_logs() as lines:
        log_event(event)
    (line,) = lines
    assert line["event"] == "nickname.changed"
    assert line["user_id"] == 7
    assert "张三的小号" not in repr(line)
    assert "李四" not in repr(line)
    assert "previous" not in line and "nickname" not in line


def test_full_mobiles_in_details_are_masked_at_every_depth():
    event = AuditEvent(
        EventType.DATA_EXPORTED,
        NOW,
        ClientContext(),
        user_id=7,
        detail={"filters": {"mobile": "13900139000", "nickname": "王五"}, "note": "to 13700137000 then"},
    )
    with capture_logs() as lines:
        log_event(event)
    (line,) = lines
    assert line["filters"] == {"mobile": "139****9000"}
    assert line["note"] == "to 137****7000 then"
    assert "13900139000" not in repr(line) and "13700137000" not in repr(line)
