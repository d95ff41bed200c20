"""App settings: defaults, then the environment, then the mapping given to create_app."""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from flask import Flask

ENV_KEYS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "AUTO_MIGRATE",
    "SESSION_COOKIE_SECURE",
    "TRUSTED_PROXIES",
    "RATELIMIT_STORAGE_URI",
    "LOG_JSON",
    "SITE_NAME",
    "HEADER_LINKS",
    "STATIC_BUILD_DIR",
    "RULES",
)
TRUE = {"1", "true", "yes", "on"}
# SMS delivery (README "SMS delivery"): checked when the app is built, by entrypoints/sms_settings.py.
SMS_ENV_KEYS = (
    "SMS_PROVIDER",
    "SMS_TIMEOUT_SECONDS",
    "SMS_ALLOW_CONSOLE",
    "SMS_RECEIPT_TOKEN",
    "ALIYUN_SMS_ACCESS_KEY_ID",
    "ALIYUN_SMS_ACCESS_KEY_SECRET",
    "ALIYUN_SMS_SIGN_NAME",
    "ALIYUN_SMS_TEMPLATES",
    "ALIYUN_SMS_ENDPOINT",
    "TENCENT_SMS_SECRET_ID",
    "TENCENT_SMS_SECRET_KEY",
    "TENCENT_SMS_APP_ID",
    "TENCENT_SMS_SIGN_NAME",
    "TENCENT_SMS_TEMPLATES",
    "TENCENT_SMS_REGION",
    "TENCENT_SMS_ENDPOINT",
)


def load_settings(app: Flask, config: dict | None) -> None:
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=16 * 1024,  # the largest honest request is well under 1 KiB
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        TRUSTED_PROXIES=0,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        SITE_NAME="账号中心",  # the brand in every title and header
        HEADER_LINKS=[["首页", "/"], ["用户协议", "/terms"]],  # [label, URL] pairs in the header (JSON in the env)
    )
    for key in ENV_KEYS + SMS_ENV_KEYS:
        if key in os.environ:
            app.config[key] = os.environ[key]
    app.config.update(config or {})

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'accounts.sqlite3'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    _require_strong_secret(app.config["SECRET_KEY"], Path(app.instance_path) / "secret_key")
    embedded = app.config["DATABASE_URL"].startswith("sqlite")
    app.config["AUTO_MIGRATE"] = _flag(app.config.get("AUTO_MIGRATE", embedded))
    app.config["SESSION_COOKIE_SECURE"] = _flag(app.config["SESSION_COOKIE_SECURE"])
    app.config["LOG_JSON"] = _flag(app.config.get("LOG_JSON", not sys.stdout.isatty()))  # console for a person
    app.config["TRUSTED_PROXIES"] = int(app.config["TRUSTED_PROXIES"])
    app.config["HEADER_LINKS"] = _links(app.config["HEADER_LINKS"])
    if isinstance(app.config.get("RULES"), str):  # JSON in the environment: {"sms_per_ip_cap": 100}
        app.config["RULES"] = json.loads(app.config["RULES"])


def _links(value) -> list[tuple[str, str]]:
    """[["帮助", "https://help.example.com"], ...]; a malformed value stops the app at start, not on a page.
    Only site paths and http(s) URLs: a `javascript:` link would run script that no CSP check sees coming."""
    links = json.loads(value) if isinstance(value, str) else value
    if not isinstance(links, list) or not all(
        isinstance(link, (list, tuple))
        and len(link) == 2
        and all(isinstance(part, str) and part for part in link)
        and link[1].startswith(("/", "https://", "http://"))
        and not link[1].startswith("//")
        for link in links
    ):
        raise ValueError('HEADER_LINKS must be a JSON list of [label, URL] pairs, e.g. [["首页", "/"]]')
    return [(label, url) for label, url in links]


MIN_SECRET_BYTES = 32  # 256 bits: signs every session cookie, and the code and captcha HMAC keys derive from it


class ConfigurationError(RuntimeError):
    """A setting the app refuses to start with; the message says how to fix it."""


def _require_strong_secret(secret: str | bytes, generated: Path) -> None:
    """A short key is guessed offline from any cookie the app hands out (an anonymous one will do), and then
    sessions are forged at will."""
    size = len(secret if isinstance(secret, bytes) else secret.encode())
    if size < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"SECRET_KEY is {size} bytes long; it must be at least {MIN_SECRET_BYTES} bytes of random data. "
            "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))' "
            f"(or leave SECRET_KEY unset to use the key generated in {generated})."
        )


def _flag(value) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in TRUE


def _instance_secret(path: Path) -> str:
    """Generated once and kept beside the SQLite file, readable by the owner only; never in the code."""
    if not path.exists():
        # Written aside, then linked into place: of several workers starting at once, one key wins whole.
        fd, temporary = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
