"""Operator commands against a real database: purge in batches, idempotent; audit listing filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import audit_events, captcha_challenges, sms_challenges, sms_quotas, user_sessions
from entrypoints import cli


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def seeded(database_url, monkeypatch, now):
    monkeypatch.setenv("DATABASE_URL", database_url)
    cli.engine.cache_clear()
    engine = make_engine(database_url)
    upgrade(engine)
    old, fresh = now - timedelta(days=200), now - timedelta(days=1)
    with engine.begin() as connection:
        connection.execute(
            insert(audit_events),
            [
                {"type": "login.failed", "occurred_at": old, "mobile": "13800138000", "detail": {"reason": "x"}}
                for _ in range(25)
            ]
            + [
                {
                    "type": "login.failed",
                    "occurred_at": fresh,
                    "mobile": "13800138000",
                    "ip": "10.0.0.1",
                    "detail": {"reason": "bad_credentials"},
                },
                {"type": "login.succeeded", "occurred_at": fresh, "mobile": "13800138000", "detail": {}},
                {"type": "login.succeeded", "occurred_at": fresh, "mobile": "13900139000", "detail": {}},
            ],
        )
        connection.execute(
            insert(captcha_challenges),
            [
                {
                    "id": f"00000000-0000-4000-8000-{i:012d}",
                    "answer_digest": "x",
                    "expires_at": now - timedelta(minutes=1) if i < 7 else now + timedelta(hours=1),
                }
                for i in range(10)
            ],
        )
        connection.execute(
            insert(sms_challenges),
            [
                {
                    "mobile": "13800138000",
                    "purpose": "register",
                    "code_digest": "x",
                    "created_at": created,
                    "expires_at": created + timedelta(minutes=5),
                    "attempts": 0,
                    "spent": False,
                }
                for created in (now - timedelta(days=2), now - timedelta(hours=1), now)
            ],
        )
        # Kept 30 days after they ended or expired (Rules.ended_session_retention), live ones for good.
        connection.execute(
            insert(user_sessions),
            [
                {
                    "public_id": f"p{i}",
                    "token_digest": f"d{i}",
                    "user_id": 1,
                    "remember": True,
                    "created_at": expires - timedelta(days=30),
                    "expires_at": expires,
                    "last_seen_at": now - timedelta(days=40),
                    "ended_at": ended,
                    "end_reason": "logged_out" if ended else None,
                }
                for i, (expires, ended) in enumerate(
                    [
                        (now - timedelta(days=31), None),  # expired 31 days ago: purged
                        (now - timedelta(days=29), None),  # expired 29 days ago: kept
                        (now + timedelta(days=5), now - timedelta(days=31)),  # ended 31 days ago: purged
                        (now + timedelta(days=5), now - timedelta(days=29)),  # ended 29 days ago: kept
                        (now + timedelta(days=5), None),  # live
                    ]
                )
            ],
        )
        connection.execute(
            insert(sms_quotas),
            [
                {"subject": "mobile:13800138000", "touched_at": now - timedelta(days=2)},
                {"subject": "ip:10.0.0.1", "touched_at": now - timedelta(hours=1)},
            ],
        )
    yield engine
    engine.dispose()
    cli.engine.cache_clear()


def rows(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


def test_purge_removes_only_what_is_past_keeping_and_is_idempotent(seeded):
    runner = CliRunner()
    result = runner.invoke(cli.cli, ["purge", "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    assert "audit_events: 25 removed" in result.output and "captcha_challenges: 7 removed" in result.output
    assert "sms_challenges: 1 removed" in result.output  # the others still count towards today's caps
    assert "user_sessions: 2 removed" in result.output
    assert "sms_quotas: 1 removed" in result.output
    assert (
        rows(seeded, audit_events),
        rows(seeded, captcha_challenges),
        rows(seeded, sms_challenges),
        rows(seeded, user_sessions),
        rows(seeded, sms_quotas),
    ) == (3, 3, 2, 3, 1)
    again = runner.invoke(cli.cli, ["purge"])
    assert again.exit_code == 0 and again.output.count(": 0 removed") == 5


def test_purge_keeps_what_the_rules_overrides_say_to_keep(seeded, monkeypatch):
    """The app's RULES (here longer than the defaults) are the command's too: nothing but captchas goes."""
    day = 86400
    monkeypatch.setenv(
        "RULES",
        json.dumps({"audit_retention": 300 * day, "ended_session_retention": 40 * day, "sms_cap_window": 3 * day}),
    )
    result = CliRunner().invoke(cli.cli, ["purge"])
    assert result.exit_code == 0, result.output
    assert result.output.count(": 0 removed") == 4 and "captcha_challenges: 7 removed" in result.output  # + sms_quotas


def test_audit_lists_filtered_events_as_table_and_json(seeded, now):
    runner = CliRunner()
    table = runner.invoke(
        cli.cli,
        [
            "audit",
            "--mobile",
            "13800138000",
            "--type",
            "login.failed",
            "--since",
            (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S"),
        ],
    )
    assert table.exit_code == 0, table.output
    lines = table.output.strip().splitlines()
    assert len(lines) == 1 and "login.failed" in lines[0] and "reason=bad_credentials" in lines[0]
    as_json = runner.invoke(cli.cli, ["audit", "--type", "login.succeeded", "--json"])
    events = [json.loads(line) for line in as_json.output.strip().splitlines()]
    assert {e["mobile"] for e in events} == {"13800138000", "13900139000"}
    assert all(e["type"] == "login.succeeded" for e in events)


def test_db_upgrade_migrates_an_empty_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    cli.engine.cache_clear()
    result = CliRunner().invoke(cli.cli, ["db-upgrade"])
    cli.engine.cache_clear()
    assert result.exit_code == 0 and "database at revision" in result.output


def test_purge_settles_interrupted_sends_by_the_rules_overrides(database_url, monkeypatch, now):
    """A send left "sending" 7 minutes ago is within a 10-minute code lifetime: purge leaves it working."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RULES", json.dumps({"sms_code_ttl": 600}))
    cli.engine.cache_clear()
    engine = make_engine(database_url)
    upgrade(engine)
    created = now - timedelta(minutes=7)
    with engine.begin() as connection:
        connection.execute(
            insert(sms_challenges),
            {
                "mobile": "13800138000",
                "purpose": "register",
                "code_digest": "x",
                "created_at": created,
                "expires_at": created + timedelta(minutes=10),
                "status": "sending",
            },
        )
    try:
        result = CliRunner().invoke(cli.cli, ["purge"])
        assert result.exit_code == 0, result.output
        assert "sms sends settled as unconfirmed: 0" in result.output
        with engine.connect() as connection:
            assert connection.execute(select(sms_challenges.c.status)).scalar() == "sending"
    finally:
        engine.dispose()
        cli.engine.cache_clear()
