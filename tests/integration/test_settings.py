"""Settings from the environment, and the secret key kept in the instance folder."""

from __future__ import annotations

import stat

import pytest

from entrypoints.settings import ConfigurationError, _instance_secret, _require_strong_secret


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


def test_a_32_byte_key_and_the_generated_key_are_accepted(make_app, tmp_path):
    assert make_app(SECRET_KEY="a" * 32)
    _require_strong_secret(_instance_secret(tmp_path / "secret_key"), tmp_path / "secret_key")  # what unset gives
