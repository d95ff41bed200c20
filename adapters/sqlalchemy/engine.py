"""Engines and sessions, tuned per database."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    options = {}
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        # As PostgreSQL: each statement reads what is committed when it runs. Under MySQL's default REPEATABLE
        # READ, counts read after waiting for a lock would come from a snapshot taken before the wait (the SMS
        # limits, repositories.py hold_send_locks), and gap locks would add deadlocks.
        options["isolation_level"] = "READ COMMITTED"
    # pre-ping: a connection the database dropped (restart, failover) is replaced, not handed out;
    # a short connect timeout and pool wait make an outage a quick 503, not a hung worker.
    return create_engine(
        parsed, pool_pre_ping=True, pool_recycle=1800, pool_timeout=5, connect_args={"connect_timeout": 5}, **options
    )


def sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL (plain or `file:` URI form), None for other databases and :memory:."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = url.database
    if url.query.get("uri") in ("true", "1") and database.startswith("file:"):
        database = urlsplit(database).path
    return Path(database)


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its -wal and -shm files the same
    mode): it holds password hashes and every account's mobile."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # an existing file keeps the mode its operator gave it


def _sqlite_engine(url: str) -> Engine:
    if (path := sqlite_file(make_url(url))) is not None and not path.exists():
        _create_private(path)
        # WAL is kept in the file: set once here, before any engine connects, a connection's own PRAGMA below finds
        # it set and needs no exclusive lock (switching a fresh file while another connection holds the write lock
        # can fail at once with "database is locked", whatever the busy timeout).
        with closing(sqlite3.connect(path, timeout=15)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
    engine = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cursor.execute("PRAGMA busy_timeout=15000")  # wait for the write lock instead of failing
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, far fewer fsyncs
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the write lock at the start: a read-then-write transaction that upgrades later can
        # fail at once with "database is locked", whatever the busy timeout. Readers need no lock in WAL.
        read_only = connection.get_execution_options().get("read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """read_only: for use cases that never write (on SQLite they then skip the write lock)."""
    bind = engine.execution_options(read_only=True) if read_only else engine
    # Objects stay readable after commit: a use case hands results out of its transaction.
    return sessionmaker(bind, expire_on_commit=False)


class NotWritable(RuntimeError):
    pass


def check_writable(engine: Engine) -> None:
    """Raise NotWritable (or the database's own error) unless a write now would be kept. A deleted SQLite file
    still takes writes through the open handles, and loses them, so the file itself is checked first."""
    if (path := sqlite_file(engine.url)) is not None:
        if not path.exists():
            raise NotWritable("the SQLite file is gone")
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):  # -wal and -shm live beside it
            raise NotWritable("the SQLite file or its folder is read-only")
    # A real write, rolled back: a read-only database (replica, read-only file or mount) raises here.
    with engine.connect() as connection, connection.begin() as transaction:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        transaction.rollback()
