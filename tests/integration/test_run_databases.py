"""The conftest's per-run databases: a server that is not there skips (or fails under REQUIRE_SERVICES) and says
why; a migration that breaks fails loudly, never as "not reachable"; only what was created is dropped."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

import tests.conftest as conftest

PROBE = f"{conftest.RUN_DATABASE}_probe"


@pytest.fixture(autouse=True)
def own_bookkeeping(monkeypatch):
    """Fresh records of what was prepared, under a database name of these tests' own: this run's stay untouched."""
    monkeypatch.setattr(conftest, "_prepared", {})
    monkeypatch.setattr(conftest, "_unreachable", {})
    monkeypatch.setattr(conftest, "RUN_DATABASE", PROBE)


@pytest.mark.parametrize("require", [False, True], ids=["skips", "fails-under-REQUIRE_SERVICES"])
def test_a_server_that_is_not_there_is_reported_as_not_reachable(monkeypatch, require):
    monkeypatch.setitem(conftest.SERVER_URLS, "postgresql", "postgresql+psycopg://postgres@127.0.0.1:9/test")
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", require)
    monkeypatch.setattr(conftest, "upgrade", lambda engine: pytest.fail("nothing to migrate where nothing is"))
    outcome = pytest.fail.Exception if require else pytest.skip.Exception
    with pytest.raises(outcome, match=r"postgresql at \S+:9/test is not reachable \(OperationalError"):
        conftest.server_database("postgresql")
    assert conftest._prepared == {}  # nothing was created, so nothing will be dropped


class BrokenMigration(Exception):
    pass


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_a_broken_migration_fails_loudly_and_its_database_is_dropped(monkeypatch, server):
    def upgrade(engine):
        engine.dispose()
        raise BrokenMigration("0042 failed")

    try:
        conftest._on_server(conftest.SERVER_URLS[server], "SELECT 1")
    except Exception as exc:  # noqa: BLE001 - the same judgement the conftest makes
        conftest.unavailable(f"{server} at {conftest.SERVER_URLS[server]}", str(exc).splitlines()[0])
    monkeypatch.setattr(conftest, "upgrade", upgrade)
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", True)  # a "not reachable" now would fail, not skip
    try:
        with pytest.raises(BrokenMigration):  # neither a skip nor "not reachable"
            conftest.server_database(server)
        assert conftest._unreachable == {}
        assert database_exists(server, PROBE)
    finally:
        conftest.drop_run_databases()
    assert not database_exists(server, PROBE)


def database_exists(server: str, name: str) -> bool:
    query = (
        "SELECT count(*) FROM pg_database WHERE datname = :name"
        if server == "postgresql"
        else "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :name"
    )
    engine = create_engine(conftest.SERVER_URLS[server])
    try:
        with engine.connect() as connection:
            return connection.execute(text(query), {"name": name}).scalar_one() == 1
    finally:
        engine.dispose()
