"""Starting under gunicorn with several workers: migrations at start run once, and per-process rate limits are
refused: several workers each counting limits in memory would multiply every limit."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, text

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import current_revision, head_revision, upgrade
from tests.conftest import RUN_DATABASE, create_database, drop_database, server_database
from tests.integration.servers import Harness, Served
from tests.integration.test_many_processes import redis_url

pytestmark = pytest.mark.slow
SECRET = "82da7633e7d81aab689400b8afb648f0e3f9b305"
WORKERS = 4


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def fresh_database(request, tmp_path):
    """An empty database nobody has migrated (created beside this run's own, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server_database(request.param)  # skips, or fails under REQUIRE_SERVICES, when the server is not there
    name = f"{RUN_DATABASE}_fresh"
    yield create_database(request.param, name)
    drop_database(request.param, name)


def test_auto_migrate_with_several_workers_on_a_fresh_database_migrates_once(tmp_path, fresh_database):
    harness = Harness(tmp_path, {"DATABASE_URL": fresh_database, "SECRET_KEY": SECRET, "AUTO_MIGRATE": True})
    ready = tmp_path / "ready.txt"
    with Served(tmp_path, {**harness.env, "SERVED_READY_FILE": str(ready)}, workers=WORKERS) as served:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and served.process.poll() is None:
            if ready.exists() and len(ready.read_text().split()) == WORKERS:
                break
            time.sleep(0.2)
        log = served.log.read_text()
        assert served.process.poll() is None, log[-3000:]
        assert len(ready.read_text().split()) == WORKERS, log[-3000:]  # every worker built its app
        assert requests.get(served.base + "/readyz", timeout=10).json()["revision"] == head_revision()
    assert "Traceback" not in log, log[-3000:]
    engine = create_engine(fresh_database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]
    engine.dispose()


def served_with_production_settings(tmp_path, workers: int, **config) -> Served:
    """gunicorn with entrypoints/gunicorn_conf.py, as production runs it."""
    url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    harness = Harness(tmp_path, {"DATABASE_URL": url, "SECRET_KEY": SECRET, **config})
    return Served(
        tmp_path,
        {**harness.env, "ACCOUNTS_ENV": "production", "SESSION_COOKIE_SECURE": "0"},
        workers=workers,
        args=("-c", "python:entrypoints.gunicorn_conf"),
    )


def test_several_workers_counting_rate_limits_in_memory_are_refused_at_start(tmp_path):
    with pytest.raises(RuntimeError, match=r"RATELIMIT_STORAGE_URI is memory:// with 2 worker processes"):
        served_with_production_settings(tmp_path, workers=2)


@pytest.mark.parametrize("workers, shared", [(1, False), (2, True)], ids=["one-worker", "redis"])
def test_one_worker_or_shared_limits_start(tmp_path, workers, shared):
    config = (
        {"RATELIMIT_STORAGE_URI": redis_url(), "RATELIMIT_KEY_PREFIX": f"serving-{tmp_path.name}"} if shared else {}
    )
    with served_with_production_settings(tmp_path, workers=workers, **config) as served:
        assert requests.get(served.base + "/healthz", timeout=10).status_code == 200


def test_racing_upgrades_of_a_fresh_database_all_succeed(fresh_database):
    """The same race without gunicorn's start-up jitter: eight processes' worth of upgrades at one moment.
    Without the lock, PostgreSQL deadlocked here and MariaDB failed on the table another had just created."""
    engines = [make_engine(fresh_database) for _ in range(8)]
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def upgrade_at_once(engine):
        start.wait()
        try:
            upgrade(engine)
        except Exception as exc:  # noqa: BLE001 - any failure fails the test
            failures.append(exc)

    # Daemon threads joined with a deadline: a deadlock fails the test instead of hanging the run.
    threads = [threading.Thread(target=upgrade_at_once, args=(engine,), daemon=True) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "upgrades still waiting after 60 s: a deadlock"
    assert failures == []
    assert {current_revision(engine) for engine in engines} == {head_revision()}
    for engine in engines:
        engine.dispose()
