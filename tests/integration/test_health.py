"""The probes: /readyz answers 503 when the database cannot take a write, whatever the reason."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import ApiClient, server_database


def test_readyz_fails_when_the_sqlite_file_is_deleted(make_app, tmp_path, sms, captcha):
    path = tmp_path / "doomed.sqlite3"
    api = ApiClient(make_app(f"sqlite:///{path}"), sms, captcha)
    assert api.get("/readyz").status_code == 200
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    response = api.get("/readyz")
    assert response.status_code == 503 and response.get_json()["reason"] == "database not writable"


def test_readyz_fails_when_the_sqlite_file_is_read_only(make_app, tmp_path, sms, captcha):
    path = tmp_path / "frozen.sqlite3"
    make_app(f"sqlite:///{path}")  # migrated
    # Opened read-only: what a read-only file, folder or mount gives (root ignores mode bits, so they prove nothing).
    api = ApiClient(make_app(f"sqlite:///file:{path}?mode=ro&uri=true", AUTO_MIGRATE=False), sms, captcha)
    response = api.get("/readyz")
    assert response.status_code == 503 and response.get_json()["reason"] == "database not writable"


def test_readyz_fails_on_a_read_only_postgresql(make_app, sms, captcha):
    url = server_database("postgresql")
    name = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} SET default_transaction_read_only = on"))
    try:
        api = ApiClient(make_app(url, AUTO_MIGRATE=False), sms, captcha)
        response = api.get("/readyz")
        assert response.status_code == 503 and response.get_json()["reason"] == "database not writable"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"ALTER DATABASE {name} RESET default_transaction_read_only"))
        admin.dispose()
