"""The SQLAlchemy adapters on real databases: time zones, text, transactions, SQLite settings and file modes."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.orm import start_mappers
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.model import CaptchaChallenge, User, UserSession
from tests.conftest import ApiClient

CLIENT = ClientContext("127.0.0.1", "pytest", "req")


@pytest.fixture
def uow_factory(database_url):
    start_mappers()
    engine = make_engine(database_url)
    upgrade(engine)
    logged: list[AuditEvent] = []
    sessions = make_session_factory(engine)
    factory = lambda: SqlUnitOfWork(sessions, after_commit=logged.append)  # noqa: E731
    factory.logged, factory.engine = logged, engine
    yield factory
    engine.dispose()


def user(mobile="13800138000", created_at=None, nickname="小明"):
    return User(mobile=mobile, nickname=nickname, password_hash="h", created_at=created_at or datetime.now(UTC))


def test_times_round_trip_as_the_same_instant_in_utc(uow_factory):
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=beijing)
    with uow_factory() as uow:
        uow.users.add(user(created_at=moment, nickname="时区😀"))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.users.get_by_mobile("13800138000")
    assert stored.created_at == moment and stored.created_at.tzinfo == UTC
    assert stored.created_at.microsecond == 123456  # MySQL keeps fractions too (DATETIME(6))
    assert stored.nickname == "时区😀"


def test_naive_datetimes_are_refused(uow_factory):
    with pytest.raises(Exception, match="naive"):
        with uow_factory() as uow:
            uow.users.add(user(created_at=datetime(2026, 1, 1)))


def test_nothing_is_written_without_commit(uow_factory):
    with uow_factory() as uow:
        uow.users.add(user())
        uow.record(AuditEvent(EventType.USER_REGISTERED, datetime.now(UTC), CLIENT))
    with uow_factory() as uow:
        assert uow.users.get_by_mobile("13800138000") is None
    assert uow_factory.logged == []


def test_events_commit_with_the_state_and_are_logged_after(uow_factory):
    with uow_factory() as uow:
        uow.users.add(user())
        uow.record(AuditEvent(EventType.USER_REGISTERED, datetime.now(UTC), CLIENT, mobile="13800138000"))
        uow.commit()
    assert [e.type for e in uow_factory.logged] == [EventType.USER_REGISTERED]
    with uow_factory.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1


def test_a_taken_mobile_is_a_conflict(uow_factory):
    with uow_factory() as uow:
        uow.users.add(user())
        uow.commit()
    with pytest.raises(errors.Conflict):
        with uow_factory() as uow:
            uow.users.add(user())


def test_a_taken_session_id_is_a_conflict(uow_factory):
    now = datetime.now(UTC)

    def record(public_id):
        return UserSession(
            public_id=public_id,
            token_digest="same digest",
            user_id=1,
            remember=False,
            created_at=now,
            expires_at=now + timedelta(hours=1),
            last_seen_at=now,
            ip=None,
            user_agent=None,
        )

    with uow_factory() as uow:
        uow.sessions.add(record("a"))
        uow.commit()
    with pytest.raises(errors.Conflict):
        with uow_factory() as uow:
            uow.sessions.add(record("b"))
    with uow_factory() as uow:
        assert [s.public_id for s in uow.sessions.for_user(1)] == ["a"]


def test_a_captcha_is_taken_once(uow_factory):
    captcha = CaptchaChallenge(
        "0b9f6a4e-3a5b-4a63-9a53-2f6c3c1b1f00", "digest", datetime.now(UTC) + timedelta(minutes=3)
    )
    with uow_factory() as uow:
        uow.captchas.put(replace(captcha, answer_digest="first image"))
        uow.captchas.put(captcha)  # a new image under the same id replaces the answer: one upsert
        uow.commit()
    with uow_factory() as uow:
        assert uow.captchas.take(captcha.id).answer_digest == "digest"
        assert uow.captchas.take(captcha.id) is None
        uow.commit()


def test_sqlite_runs_in_wal_with_a_busy_timeout_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_sqlite_files_are_created_readable_by_their_owner_only(make_app, tmp_path, sms, captcha):
    path = tmp_path / "private.sqlite3"
    api = ApiClient(make_app(f"sqlite:///{path}"), sms, captcha)
    assert api.register("13800138000").status_code == 200  # written through the WAL
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}


def test_sqlite_readers_do_not_wait_for_the_write_lock(tmp_path):
    """Signed-in page loads only read: they must not queue behind a writer holding the lock."""
    import sqlite3
    import time

    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    start_mappers()
    engine = make_engine(url)
    upgrade(engine)
    readers = make_session_factory(engine, read_only=True)
    writer = sqlite3.connect(tmp_path / "r.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a long write transaction elsewhere
    try:
        started = time.monotonic()
        with SqlUnitOfWork(readers, after_commit=lambda e: None) as uow:
            assert uow.users.get_by_mobile("13800138000") is None
        # A reader that needed the lock would wait out the 15 s busy timeout: half of it tells the two apart on
        # however slow a machine.
        assert time.monotonic() - started < 7.5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        engine.dispose()
