"""Alembic, driven from the app: upgrade at start (embedded default) or refuse to run un-migrated."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


LOCK_NAME = "accounts.migrations"
LOCK_KEY = 0x6163636F756E7473  # "accounts": PostgreSQL's advisory locks take a 64-bit key
LOCK_WAIT_SECONDS = 300


class SchemaOutOfDate(RuntimeError):
    pass


class SchemaLockTimeout(RuntimeError):
    pass


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


@cache  # the scripts on disk do not change while the process runs
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def run_alembic(engine: Engine, action: Callable[..., None], *args: Any) -> None:
    """Run an alembic command (command.upgrade, command.downgrade, command.check) on this engine, holding the
    schema lock: of several processes upgrading at once (workers with AUTO_MIGRATE, two release steps), one
    migrates and the others then find the schema at head, where an upgrade does nothing."""
    config = alembic_config(engine)
    with engine.begin() as connection, schema_lock(connection):
        config.attributes["connection"] = connection
        action(config, *args)


@contextmanager
def schema_lock(connection: Connection) -> Iterator[None]:
    """A database-wide lock, taken before alembic reads the current revision."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})  # freed at commit
        yield
    elif dialect in ("mysql", "mariadb"):
        # MySQL's DDL commits as it goes, so a transaction-scoped lock would not last: a named session lock does.
        taken = connection.execute(
            text("SELECT GET_LOCK(:name, :seconds)"), {"name": LOCK_NAME, "seconds": LOCK_WAIT_SECONDS}
        ).scalar()
        if taken != 1:
            raise SchemaLockTimeout(f"another process held the migration lock for {LOCK_WAIT_SECONDS} s")
        try:
            yield
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
    else:
        yield  # SQLite: the transaction began with BEGIN IMMEDIATE (engine.py), the file's one write lock


def upgrade(engine: Engine) -> None:
    run_alembic(engine, command.upgrade, "head")


def require_head(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The database is at revision {current or 'none (empty)'}, the code needs {head}. "
            "Run `accounts db-upgrade` (the release step, once per deploy) and start again."
        )
