"""The one settings reader: defaults, then the environment (only the names in ENV_KEYS), then the mapping given to
create_app. The web app, every `accounts` command and the relay read their settings here, so that they agree.

`load_settings` answers a plain dict of resolved values: flags are bools, numbers numbers, RULES a mapping, and
DATABASE_URL and SECRET_KEY always set (defaulting to the instance folder's SQLite file and generated key). The SMS
providers' settings are checked by entrypoints/sms_settings.py and the relay's by entrypoints/relay.py, both from
this dict.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask.sansio.scaffold import find_package
from zxcvbn import zxcvbn

from domain.outbox import DEFAULT_EXCLUDED, TypeFilter

# Every environment variable the service reads (docs/configuration.md, docs/sms-providers.md, docs/event-log.md).
WEB_ENV_KEYS = (
    "ACCOUNTS_ENV",
    "DATABASE_URL",
    "SECRET_KEY",
    "AUTO_MIGRATE",
    "SESSION_COOKIE_SECURE",
    "TRUSTED_PROXIES",
    "TRUSTED_PROXY_ADDRESSES",
    "RATELIMIT_STORAGE_URI",
    "LOG_JSON",
    "SITE_NAME",
    "HEADER_LINKS",
    "STATIC_BUILD_DIR",
    "RULES",
)
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
EVENT_ENV_KEYS = (
    "RELAY_EVENT_TYPES",
    "RELAY_EXCLUDED_EVENT_TYPES",
    "RELAY_BATCH_SIZE",
    "RELAY_POLL_INTERVAL",
    "NATS_URL",
    "NATS_STREAM",
    "NATS_SUBJECT_PREFIX",
    "NATS_FULL_MOBILE",
    "WEBHOOK_TIMEOUT",
    "WEBHOOK_CONCURRENCY",
    "WEBHOOK_RETRY_BASE",
    "WEBHOOK_RETRY_CAP",
    "WEBHOOK_RETRY_FOR",
)
ENV_KEYS = WEB_ENV_KEYS + SMS_ENV_KEYS + EVENT_ENV_KEYS

DEFAULTS: dict[str, Any] = dict(
    MAX_CONTENT_LENGTH=16 * 1024,  # the largest honest request is well under 1 KiB
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
    TRUSTED_PROXIES=0,
    # The peers whose forwarded headers are taken (with TRUSTED_PROXIES): loopback, private and shared (CGNAT, where
    # cloud load balancers such as Aliyun SLB connect from) addresses, none of which a client on the internet has.
    TRUSTED_PROXY_ADDRESSES="127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7",
    WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    WTF_CSRF_HEADERS=["X-CSRFToken"],
    SITE_NAME="账号中心",  # the brand in every title and header
    HEADER_LINKS=[["首页", "/"], ["用户协议", "/terms"]],  # [label, URL] pairs in the header (JSON in the env)
)

# Where the app runs (ACCOUNTS_ENV). Production is the default: a WSGI server started any way at all (gunicorn
# with or without -c python:entrypoints.gunicorn_conf, uwsgi, ...) gets the safe settings. Development only when
# said (ACCOUNTS_ENV=development), or when the `flask` command serves it (`make run`: flask run), or for TESTING.
ENVIRONMENTS = ("development", "production")
TRUE, FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off", ""})
MIN_SECRET_BYTES = 32  # 256 bits: signs every session cookie, and the code and captcha HMAC keys derive from it
# zxcvbn's estimate of the guesses a key takes (log10): a placeholder such as changeme-changeme-changeme-12345 scores
# about 7, 32 random hex digits (128 bits) about 31.6, secrets.token_hex(32) about 60.
MIN_SECRET_GUESSES_LOG10 = 30
SECRET_CHECKED_CHARS = 128  # zxcvbn takes longer the longer the key; 128 random characters are plenty
APP_IMPORT_NAME = "entrypoints.web"  # the Flask app's import name: Flask finds its instance folder from it


class ConfigurationError(RuntimeError):
    """A setting the app refuses to start with; the message says how to fix it."""


class InvalidSetting(ValueError):
    """A setting the app cannot start with; the message names it and says what is expected."""


def flag(name: str, value: object) -> bool:
    """The one reading of an on/off setting: a bool as given, else 1/true/yes/on or 0/false/no/off/empty, any case.
    Anything else is refused rather than guessed: `SESSION_COOKIE_SECURE=ture` must not mean off."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise InvalidSetting(f"{name} must be 1 or 0")


def environment(settings: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """ACCOUNTS_ENV when set; else development under `flask run` (the flask command sets FLASK_RUN_FROM_CLI) or
    TESTING, production otherwise."""
    named = str(settings.get("ACCOUNTS_ENV") or "").strip().lower()
    if named:
        if named not in ENVIRONMENTS:
            raise InvalidSetting("ACCOUNTS_ENV must be development or production")
        return named
    if flag("TESTING", settings.get("TESTING", False)) or environ.get("FLASK_RUN_FROM_CLI") == "true":
        return "development"
    return "production"


def instance_folder() -> Path:
    """Where the generated secret key and the default SQLite file live: the folder Flask gives the web app with
    instance_relative_config (the project root's instance/ in a source checkout; <prefix>/var/entrypoints.web-instance
    when installed), found without building an app."""
    prefix, package_path = find_package(APP_IMPORT_NAME)
    if prefix is None:
        return Path(package_path) / "instance"
    return Path(prefix) / "var" / f"{APP_IMPORT_NAME}-instance"


def load_settings(config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    settings.update({key: environ[key] for key in ENV_KEYS if key in environ})
    settings.update(config or {})

    instance = instance_folder()
    instance.mkdir(parents=True, exist_ok=True)
    settings.setdefault("DATABASE_URL", f"sqlite:///{instance / 'accounts.sqlite3'}")
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    _require_strong_secret(settings["SECRET_KEY"], instance / "secret_key")
    embedded = settings["DATABASE_URL"].startswith("sqlite")
    settings["AUTO_MIGRATE"] = flag("AUTO_MIGRATE", settings.get("AUTO_MIGRATE", embedded))
    settings["ACCOUNTS_ENV"] = environment(settings, environ)
    production = settings["ACCOUNTS_ENV"] == "production"
    # In production cookies travel over HTTPS only and the console SMS sender (live codes in the log) is refused,
    # unless said otherwise out loud (SESSION_COOKIE_SECURE=0 for a plain-HTTP trial on a private network,
    # SMS_ALLOW_CONSOLE=1 on a staging box); per-process rate limits are refused in entrypoints/web/security.py.
    settings["SESSION_COOKIE_SECURE"] = flag("SESSION_COOKIE_SECURE", settings.get("SESSION_COOKIE_SECURE", production))
    settings.setdefault("SMS_ALLOW_CONSOLE", not production)
    # console lines for a person at a terminal, JSON for a log collector
    settings["LOG_JSON"] = flag("LOG_JSON", settings.get("LOG_JSON", not sys.stdout.isatty()))
    settings["TRUSTED_PROXIES"] = int(settings["TRUSTED_PROXIES"])
    settings["TRUSTED_PROXY_ADDRESSES"] = _networks("TRUSTED_PROXY_ADDRESSES", settings["TRUSTED_PROXY_ADDRESSES"])
    settings["HEADER_LINKS"] = _links(settings["HEADER_LINKS"])
    if isinstance(settings.get("RULES"), str):  # JSON in the environment: {"sms_per_ip_cap": 100}
        settings["RULES"] = json.loads(settings["RULES"])
    return settings


def _networks(name: str, value) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses and networks, comma-separated (`127.0.0.1, 10.0.0.0/8`) or a list; a typo stops the app at start
    rather than trusting nobody, or everybody, in silence."""
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        return tuple(ipaddress.ip_network(str(item).strip(), strict=False) for item in items if str(item).strip())
    except ValueError as error:
        raise InvalidSetting(f"{name} must be IP addresses or networks, comma-separated ({error})") from None


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


def _require_strong_secret(secret: str | bytes, generated: Path) -> None:
    """A short key, or a long one made of words and repeats, is guessed offline from any cookie the app hands out
    (an anonymous one will do), and then sessions are forged at will."""
    size = len(secret if isinstance(secret, bytes) else secret.encode())
    how = (
        "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))' "
        f"(or leave SECRET_KEY unset to use the key generated in {generated})."
    )
    if size < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"SECRET_KEY is {size} bytes long; it must be at least {MIN_SECRET_BYTES} bytes of random data. " + how
        )
    text = secret.decode("latin-1") if isinstance(secret, bytes) else secret
    if secret_guesses_log10(text) < MIN_SECRET_GUESSES_LOG10:
        raise ConfigurationError(
            "SECRET_KEY is guessable: it is made of words, repeats or sequences (such as a placeholder), not random "
            "data. " + how
        )


@lru_cache(maxsize=64)
def secret_guesses_log10(secret: str) -> float:
    """zxcvbn's estimate, cached: it takes up to a few hundred milliseconds, and tests build many apps with one key."""
    return float(zxcvbn(secret[:SECRET_CHECKED_CHARS])["guesses_log10"])


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


def exported_types(settings: Mapping[str, Any]) -> TypeFilter:
    """RELAY_EVENT_TYPES (patterns; empty: all) minus RELAY_EXCLUDED_EVENT_TYPES: what leaves the service, by the
    relay and by the pull API alike."""
    return TypeFilter.parse(
        settings.get("RELAY_EVENT_TYPES", ""), settings.get("RELAY_EXCLUDED_EVENT_TYPES", DEFAULT_EXCLUDED)
    )
