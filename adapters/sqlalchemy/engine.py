"""Engines and sessions, tuned per database."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


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
    return create_engine(parsed, pool_pre_ping=True, pool_recycle=1800, pool_timeout=5,
                         connect_args={"connect_timeout": 5}, **options)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cursor.execute("PRAGMA busy_timeout=15000")  # wait for the write lock instead of failing
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, far fewer fsyncs
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
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
