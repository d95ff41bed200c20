"""Settings from the environment, and the secret key kept in the instance folder."""

from __future__ import annotations

import secrets
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from entrypoints.bootstrap import bootstrap
from entrypoints.relay import RelaySettings
from entrypoints.settings import (
    ENV_KEYS,
    ConfigurationError,
    InvalidSetting,
    _instance_secret,
    _require_strong_secret,
    instance_folder,
    load_settings,
)
from entrypoints.sms_settings import load_sms_settings


def test_environment_flags_are_parsed_not_truthy(make_app, monkeypatch):
    monkeypatch.setenv("LOG_JSON", "0")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    app = make_app()
    assert app.config["LOG_JSON"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TRUSTED_PROXIES"] == 2


def test_the_generated_secret_is_kept_private_and_stable(tmp_path):
    path = tmp_path / "secret_key"
    first = _instance_secret(path)
    assert len(first) == 64 and _instance_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [path]  # the temporary file it was written through is gone


@pytest.mark.parametrize("key", ["x", "a" * 31, "密钥" * 5])  # 1, 31 and 30 bytes
def test_a_short_secret_key_stops_the_app_and_says_how_to_make_one(make_app, key):
    with pytest.raises(ConfigurationError, match=r"at least 32 bytes.*secrets\.token_hex\(32\)"):
        make_app(SECRET_KEY=key)


def test_a_32_byte_random_key_and_the_generated_key_are_accepted(make_app, tmp_path):
    assert make_app(SECRET_KEY=secrets.token_hex(16))  # 32 characters, 128 random bits
    _require_strong_secret(_instance_secret(tmp_path / "secret_key"), tmp_path / "secret_key")  # what unset gives
    _require_strong_secret(secrets.token_bytes(32), tmp_path / "secret_key")  # bytes, as a Python config may give


@pytest.mark.parametrize(
    "key",
    [
        "changeme-changeme-changeme-12345",  # a placeholder of 32 bytes
        "a" * 32,
        "0123456789abcdef0123456789abcdef",
        "test-secret-key-not-for-production",
        "correct horse battery staple secret",
    ],
)
def test_a_long_but_guessable_secret_key_stops_the_app(make_app, key):
    with pytest.raises(ConfigurationError, match=r"SECRET_KEY is guessable.*secrets\.token_hex\(32\)"):
        make_app(SECRET_KEY=key)


def test_the_instance_folder_is_the_one_flask_gives_the_app(make_app):
    """The generated key and the default SQLite file are found where they always were, by the app and the commands
    alike, without building an app to ask."""
    expected = Flask("entrypoints.web", instance_relative_config=True).instance_path
    assert str(instance_folder()) == expected == make_app().instance_path
    assert (
        load_settings({"SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec"})["DATABASE_URL"]
        == f"sqlite:///{Path(expected) / 'accounts.sqlite3'}"
    )


def test_only_the_listed_environment_variables_are_read():
    environ = {
        "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
        "NATS_URL": "nats://127.0.0.1:4222",
        "SMS_PROVIDER": "aliyun",
        "HOME": "/root",
    }
    settings = load_settings(environ=environ)
    assert (settings["NATS_URL"], settings["SMS_PROVIDER"]) == ("nats://127.0.0.1:4222", "aliyun")
    assert "HOME" not in settings and set(environ) - {"HOME"} <= set(ENV_KEYS)


def test_the_mapping_given_wins_over_the_environment():
    settings = load_settings({"SITE_NAME": "给定", "RULES": {"sms_code_ttl": 600}}, environ={"SITE_NAME": "环境"})
    assert (settings["SITE_NAME"], settings["RULES"]) == ("给定", {"sms_code_ttl": 600})
    assert load_settings(environ={"RULES": '{"sms_code_ttl": 600}'})["RULES"] == {"sms_code_ttl": 600}


@pytest.mark.parametrize("value, expected", [("1", True), ("Yes", True), (" on ", True), ("0", False), ("", False)])
def test_every_on_off_setting_is_read_by_the_one_flag_parser(value, expected):
    environ = {name: value for name in ("AUTO_MIGRATE", "SESSION_COOKIE_SECURE", "LOG_JSON", "SMS_ALLOW_CONSOLE")}
    settings = load_settings(
        environ={"SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec", "NATS_FULL_MOBILE": value, **environ}
    )
    assert [settings[name] for name in ("AUTO_MIGRATE", "SESSION_COOKIE_SECURE", "LOG_JSON")] == [expected] * 3
    assert load_sms_settings(settings).allow_console is expected
    assert RelaySettings.from_settings(settings, timedelta(days=180)).nats_full_mobile is expected


@pytest.mark.parametrize("name", ["AUTO_MIGRATE", "SESSION_COOKIE_SECURE", "LOG_JSON", "NATS_FULL_MOBILE"])
def test_an_on_off_setting_that_is_neither_is_refused_by_name(name):
    with pytest.raises(InvalidSetting, match=f"{name} must be 1 or 0"):
        settings = load_settings(environ={"SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec", name: "ture"})
        RelaySettings.from_settings(settings, timedelta(days=180))


def test_the_relays_jetstream_keeps_events_as_long_as_the_audit_log(tmp_path):
    settings = load_settings(
        {
            "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'relay.sqlite3'}",
            "NATS_URL": "nats://127.0.0.1:4222",
            "RULES": {"audit_retention": 30 * 86400},
        }
    )
    services = bootstrap(settings=settings)
    try:
        assert services.relay().nats.max_age == 30 * 86400.0  # made, not connected: no NATS needed here
    finally:
        services.engine.dispose()


KEY = {"SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec"}


@pytest.mark.parametrize(
    "given, environ, expected",
    [
        ({}, {}, "production"),  # any WSGI server, with or without entrypoints/gunicorn_conf.py
        ({"TESTING": True}, {}, "development"),
        ({}, {"FLASK_RUN_FROM_CLI": "true"}, "development"),  # make run: flask run
        ({}, {"ACCOUNTS_ENV": "development"}, "development"),
        ({"TESTING": True}, {"ACCOUNTS_ENV": "Production"}, "production"),  # said out loud wins
        ({"ACCOUNTS_ENV": "production"}, {"FLASK_RUN_FROM_CLI": "true"}, "production"),
    ],
)
def test_the_app_is_in_production_unless_served_by_flask_run_testing_or_told(given, environ, expected):
    assert load_settings({**KEY, **given}, environ=environ)["ACCOUNTS_ENV"] == expected


def test_an_environment_the_app_does_not_know_is_refused():
    with pytest.raises(InvalidSetting, match="ACCOUNTS_ENV must be development or production"):
        load_settings(KEY, environ={"ACCOUNTS_ENV": "staging"})


def test_in_production_cookies_are_secure_and_the_console_sender_off_unless_said(tmp_path):
    production = load_settings(KEY, environ={})
    assert production["SESSION_COOKIE_SECURE"] is True
    assert load_sms_settings(production).allow_console is False
    plain_http = load_settings(KEY, environ={"SESSION_COOKIE_SECURE": "0", "SMS_ALLOW_CONSOLE": "1"})
    assert plain_http["SESSION_COOKIE_SECURE"] is False and load_sms_settings(plain_http).allow_console is True
    development = load_settings(KEY, environ={"ACCOUNTS_ENV": "development"})
    assert development["SESSION_COOKIE_SECURE"] is False and load_sms_settings(development).allow_console is True


@pytest.fixture
def production_app(tmp_path, monkeypatch):
    """create_app as a WSGI server without the gunicorn file builds it: no TESTING, no flask run."""
    from entrypoints.web import create_app

    for name in ("FLASK_RUN_FROM_CLI", "ACCOUNTS_ENV", "ACCOUNTS_WORKER_PROCESSES", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)

    def make(**config):
        settings = {**KEY, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}", "AUTO_MIGRATE": True}
        return create_app({**settings, **config})

    return make


def test_production_refuses_the_console_sms_sender(production_app):
    with pytest.raises(InvalidSetting, match="refused in production.*SMS_ALLOW_CONSOLE=1"):
        production_app()


def test_production_refuses_per_process_rate_limits_when_the_process_count_is_unknown(production_app, monkeypatch):
    with pytest.raises(ConfigurationError, match=r"memory:// in production.*ACCOUNTS_WORKER_PROCESSES=1"):
        production_app(SMS_ALLOW_CONSOLE="1")
    monkeypatch.setenv("ACCOUNTS_WORKER_PROCESSES", "1")  # one process, said (gunicorn_conf.py says it itself)
    app = production_app(SMS_ALLOW_CONSOLE="1")
    response = app.test_client().get("/login")
    assert response.status_code == 200 and "Secure" in response.headers["Set-Cookie"]  # and cookies are Secure
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_make_run_still_serves_with_the_console_sender_and_memory_limits(tmp_path):
    """`flask run` (make run) is development: the same app that production refuses starts, as before."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "ACCOUNTS_", "RATELIMIT_", "FLASK_"))}
    env.update(KEY, DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}")
    routes = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "entrypoints.web", "routes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert routes.returncode == 0, routes.stderr[-2000:]
    assert "/api/login" in routes.stdout
