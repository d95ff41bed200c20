"""Settings from the environment, and the secret key kept in the instance folder."""

from __future__ import annotations

import stat

from entrypoints.web.settings import _instance_secret


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
