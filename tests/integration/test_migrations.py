"""Alembic is the only way the schema changes: up, down, up again, and models agree with migrations."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import (
    SchemaOutOfDate,
    current_revision,
    head_revision,
    require_head,
    run_alembic,
    upgrade,
)
from adapters.sqlalchemy.tables import metadata


def test_upgrade_downgrade_upgrade_and_check(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    run_alembic(engine, command.check)  # raises if the models and the migrations disagree
    run_alembic(engine, command.downgrade, "base")
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    engine.dispose()


def test_every_constraint_and_index_has_a_convention_name(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    inspector = inspect(engine)
    for table in metadata.tables:
        for index in inspector.get_indexes(table):
            assert index["name"].startswith((f"ix_{table}_", f"uq_{table}_")), index  # MySQL lists unique keys too
    assert [c["name"] for c in inspector.get_unique_constraints("users")] == ["uq_users_mobile"]
    engine.dispose()


def test_an_unmigrated_database_stops_the_app_with_a_clear_message(make_app, tmp_path):
    with pytest.raises(SchemaOutOfDate, match="accounts db-upgrade"):
        make_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", AUTO_MIGRATE=False)


def test_require_head_passes_after_upgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    upgrade(engine)
    require_head(engine)
    engine.dispose()
