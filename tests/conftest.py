"""Shared fixtures: the databases the integration tests run on, and the app wired with recording fakes."""

from __future__ import annotations

import os
import re
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import metadata

SERVER_URLS = {
    "postgresql": os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# One database of our own per test run, created beside the configured one and dropped at the end: several
# runs at once (developers, CI) never see each other's rows, and nothing we did not create is dropped.
RUN_DATABASE = f"accounts_test_{os.getpid()}_{secrets.token_hex(3)}"


def unavailable(what: str, why: str) -> None:
    """Skip with the reason shown, or fail where the service must be there (CI sets REQUIRE_SERVICES=1)."""
    message = f"{what} is not reachable ({why})"
    if REQUIRE_SERVICES:
        pytest.fail(message + "; REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


_prepared: dict[str, str] = {}  # server name -> URL of this run's database
_unreachable: dict[str, str] = {}  # server name -> why it could not be reached


def _on_server(url: str, sql: str) -> None:
    """Run one statement on the server behind `url`, outside a transaction (CREATE/DROP DATABASE need that).
    Raises when the server is not there."""
    admin = create_engine(url, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(sql))
    finally:
        admin.dispose()


def create_database(server: str, database: str) -> str:
    """Create `database` beside the configured one on `server`; return its URL. Raises if unreachable."""
    charset = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if server == "mariadb" else ""
    _on_server(SERVER_URLS[server], f"CREATE DATABASE {database}{charset}")
    return make_url(SERVER_URLS[server]).set(database=database).render_as_string(hide_password=False)


def drop_database(server: str, database: str) -> None:
    """Drop a database this run created (FORCE: a test's leftover connection must not keep it alive)."""
    force = " WITH (FORCE)" if server == "postgresql" else ""
    _on_server(SERVER_URLS[server], f"DROP DATABASE IF EXISTS {database}{force}")


def drop_run_databases() -> None:
    for name in _prepared:
        drop_database(name, RUN_DATABASE)


def pytest_sessionfinish(session, exitstatus):
    drop_run_databases()


def server_database(name: str) -> str:
    """A migrated, empty database of this run's own on a real server, or a skip that says why."""
    if name not in _prepared and name not in _unreachable:
        try:
            run_url = create_database(name, RUN_DATABASE)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server means "not here"
            _unreachable[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        else:
            _prepared[name] = run_url
            upgrade(make_engine(run_url))  # a migration that fails here fails loudly, it is no "not reachable"
    if name in _unreachable:
        unavailable(f"{name} at {SERVER_URLS[name]}", _unreachable[name])
    run_url = _prepared[name]
    engine = create_engine(run_url)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    return run_url


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request, tmp_path) -> str:
    """Every test that takes this runs on SQLite (a real file) and on each reachable server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return server_database(request.param)


class RecordingSms:
    """The SMS sender tests swap in through create_app: it remembers what it sent, or fails on demand."""

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []
        self.fail = False
        self.notices: list[tuple[str, str]] = []
        self.fail_notice = False

    def send_code(self, mobile: str, code: str, purpose: str) -> None:
        if self.fail:
            raise ConnectionError("SMS provider down")
        self.sent.append((mobile, code, purpose))

    def send_notice(self, mobile: str, notice: str) -> None:
        if self.fail_notice:
            raise ConnectionError("SMS provider down")
        self.notices.append((mobile, notice))

    def last_code(self, mobile: str, purpose: str = "register") -> str:
        return next(code for m, code, p in reversed(self.sent) if m == mobile and p == purpose)


class RecordingCaptcha:
    """Renders a tiny valid PNG and remembers the text, so tests can solve the captcha."""

    PNG = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )

    def __init__(self):
        self.last_text = ""

    def render(self, text: str) -> bytes:
        self.last_text = text
        return self.PNG


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class ApiClient:
    """Drives the app the way the pages do: the CSRF token from a page, captchas solved from the renderer."""

    def __init__(self, app, sms: RecordingSms, captcha: RecordingCaptcha, ip: str = "127.0.0.1"):
        self.app, self.sms, self.captcha = app, sms, captcha
        self.http = app.test_client()
        self.environ = {"REMOTE_ADDR": ip}
        self.token = None

    def csrf(self) -> str:
        if self.token is None:
            page = self.http.get("/terms", environ_base=self.environ).get_data(as_text=True)
            self.token = CSRF_META.search(page).group(1)
        return self.token

    def post(self, path: str, json=None, **kwargs):
        headers = {"X-CSRFToken": self.csrf(), **kwargs.pop("headers", {})}
        return self.http.post(path, json=json, headers=headers, environ_base=self.environ, **kwargs)

    def get(self, path: str, **kwargs):
        return self.http.get(path, environ_base=self.environ, **kwargs)

    def solve_captcha(self, captcha_uuid: str | None = None) -> dict:
        import uuid

        captcha_uuid = captcha_uuid or str(uuid.uuid4())
        response = self.get(f"/get_captcha?captcha_uuid={captcha_uuid}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return {"captcha": self.captcha.last_text, "captcha_uuid": captcha_uuid}

    def send_sms(self, mobile: str):
        return self.post("/api/send_register_sms", {"mobile": mobile, **self.solve_captcha()})

    def register(self, mobile: str, password: str = "s3cure-Passw0rd", nickname: str = "小明", code: str | None = None):
        if code is None:
            assert self.send_sms(mobile).status_code == 200
            code = self.sms.last_code(mobile)
        return self.post(
            "/api/register",
            {
                "nickname": nickname,
                "mobile": mobile,
                "vercode": code,
                "password": password,
                "confirmPassword": password,
                "agreement": "on",
            },
        )

    def login(self, mobile: str, password: str = "s3cure-Passw0rd", remember: bool = False):
        response = self.post(
            "/api/login", {"mobile": mobile, "password": password, "remember": remember, **self.solve_captcha()}
        )
        self.token = None  # a sign-in starts a new session, and with it a new CSRF token (the page reloads)
        return response


@pytest.fixture
def sms() -> RecordingSms:
    return RecordingSms()


@pytest.fixture
def captcha() -> RecordingCaptcha:
    return RecordingCaptcha()


@pytest.fixture
def make_app(tmp_path, sms, captcha):
    from entrypoints.web import create_app

    def make(database_url: str | None = None, **config):
        settings = {
            "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'app.sqlite3'}",
            "SECRET_KEY": "f10dbeeb5b3cf0c34ae3d629dae8a01626ecdfa3",
            "TESTING": True,
            "AUTO_MIGRATE": True,
            **config,
        }
        return create_app(settings, sms_sender=sms, captcha_renderer=captcha)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app, sms, captcha) -> ApiClient:
    return ApiClient(app, sms, captcha)
