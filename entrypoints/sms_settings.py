"""Which SMS providers, in which order, with what credentials: taken from the settings entrypoints/settings.py
read, checked at start (a missing or malformed value stops the app with a message naming the setting, never showing
a secret), then built into the sender the use cases get. docs/sms-providers.md documents every setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from domain.model import SmsNotice, SmsPurpose
from domain.ports import SmsSender
from entrypoints.settings import InvalidSetting, flag

PROVIDERS = ("console", "aliyun", "tencent")
DEFAULT_TIMEOUT = 5.0  # seconds, for connecting and for reading, per provider
TEMPLATE_CODE = {"aliyun": re.compile(r"SMS_[0-9]{1,32}"), "tencent": re.compile(r"[0-9]{1,20}")}
TEMPLATE_EXAMPLE = {
    "aliyun": "register=SMS_001,reset_password=SMS_002,login=SMS_003,change_mobile=SMS_004,delete_account=SMS_005,"
    "mobile_changed_notice=SMS_006",
    "tencent": "register=449739,reset_password=449740,login=449741,change_mobile=449742,delete_account=449743,"
    "mobile_changed_notice=449744",
}
# Every template is required, the notices' too: a deployment configured before the 换绑 notice existed stops at
# start with a message naming the missing one (docs/sms-providers.md "Upgrading"), rather than changing mobiles
# without telling the number left behind.
TEMPLATE_NAMES = (*SmsPurpose, *SmsNotice)
RECEIPT_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")


@dataclass(frozen=True)
class Endpoint:
    host: str  # host or host:port, as the SDKs take it
    protocol: str  # http or https


@dataclass(frozen=True)
class AliyunSettings:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    sign_name: str
    templates: dict[str, str]
    endpoint: Endpoint | None


@dataclass(frozen=True)
class TencentSettings:
    secret_id: str
    secret_key: str = field(repr=False)
    app_id: str
    sign_name: str
    templates: dict[str, str]
    region: str
    endpoint: Endpoint | None


@dataclass(frozen=True)
class SmsSettings:
    providers: tuple[str, ...] = ("console",)
    timeout: float = DEFAULT_TIMEOUT
    allow_console: bool = True
    receipt_token: str | None = field(default=None, repr=False)
    aliyun: AliyunSettings | None = None
    tencent: TencentSettings | None = None


def load_sms_settings(config: Mapping) -> SmsSettings:
    providers = _providers(config)
    return SmsSettings(
        providers=providers,
        timeout=_timeout(config),
        # load_settings sets the default: on in development, off in production
        allow_console=flag("SMS_ALLOW_CONSOLE", config.get("SMS_ALLOW_CONSOLE", True)),
        receipt_token=_receipt_token(config),
        aliyun=_aliyun(config) if "aliyun" in providers else None,
        tencent=_tencent(config) if "tencent" in providers else None,
    )


def refuse_console_unless_allowed(settings: SmsSettings) -> None:
    """In production (SMS_ALLOW_CONSOLE is off there unless set), printing live codes with full mobiles to the log
    would let anyone who reads the logs reset any password."""
    if settings.providers == ("console",) and not settings.allow_console:
        raise InvalidSetting(
            "SMS_PROVIDER: the console sender prints live codes to the log and is refused in production "
            "(ACCOUNTS_ENV; production unless served by flask run). "
            "Set SMS_PROVIDER=aliyun, tencent or a failover list such as aliyun,tencent (docs/sms-providers.md), "
            "or SMS_ALLOW_CONSOLE=1 on a staging box whose logs only you read."
        )


def build_sms_sender(settings: SmsSettings) -> SmsSender:
    # Imported here: an SDK loads only when its provider is configured.
    if settings.providers == ("console",):
        from adapters.sms_console import ConsoleSmsSender

        return ConsoleSmsSender()
    from adapters.sms_failover import FailoverSmsSender

    return FailoverSmsSender([_provider(name, settings) for name in settings.providers])


def _provider(name: str, settings: SmsSettings) -> SmsSender:
    if name == "aliyun":
        from adapters.sms_aliyun import AliyunSmsSender

        a = settings.aliyun
        assert a is not None  # loaded whenever aliyun is among the providers
        return AliyunSmsSender(
            access_key_id=a.access_key_id,
            access_key_secret=a.access_key_secret,
            sign_name=a.sign_name,
            templates=a.templates,
            timeout=settings.timeout,
            **_endpoint_args(a.endpoint),
        )
    from adapters.sms_tencent import TencentSmsSender

    t = settings.tencent
    assert t is not None  # loaded whenever tencent is among the providers
    return TencentSmsSender(
        secret_id=t.secret_id,
        secret_key=t.secret_key,
        app_id=t.app_id,
        sign_name=t.sign_name,
        templates=t.templates,
        region=t.region,
        timeout=settings.timeout,
        **_endpoint_args(t.endpoint),
    )


# --- parsing, one setting at a time -------------------------------------------------------------------------


def _optional(config: Mapping, name: str) -> str | None:
    """The setting's text, trimmed; None when it is unset or blank."""
    value = config.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidSetting(f"{name} must be text")
    return value.strip()


def _text(config: Mapping, name: str) -> str:
    """A setting the configured provider needs."""
    value = _optional(config, name)
    if value is None:
        raise InvalidSetting(f"{name} is required by SMS_PROVIDER and is not set")
    return value


def _providers(config: Mapping) -> tuple[str, ...]:
    raw = _optional(config, "SMS_PROVIDER") or "console"
    names = tuple(name.strip().lower() for name in raw.split(","))
    unknown = [name for name in names if name not in PROVIDERS]
    if unknown or len(set(names)) != len(names):
        raise InvalidSetting(
            f"SMS_PROVIDER must be console, aliyun, tencent or a failover list of the last two "
            f"such as aliyun,tencent (without repeats); got {raw!r}"
        )
    if "console" in names and len(names) > 1:
        raise InvalidSetting("SMS_PROVIDER: console is for development and cannot be part of a failover list")
    return names


def _timeout(config: Mapping) -> float:
    value = config.get("SMS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0.5 <= seconds <= 20:
        raise InvalidSetting("SMS_TIMEOUT_SECONDS must be a number of seconds from 0.5 to 20")
    return seconds


def _receipt_token(config: Mapping) -> str | None:
    token = _optional(config, "SMS_RECEIPT_TOKEN")
    if token is not None and not RECEIPT_TOKEN.fullmatch(token):
        raise InvalidSetting(
            "SMS_RECEIPT_TOKEN must be 32 to 128 letters, digits, '-' or '_' (it goes in the "
            "receipt URL); generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token


def _templates(config: Mapping, name: str, provider: str) -> dict[str, str]:
    raw = _text(config, name)
    expected = f"purpose=template pairs for {', '.join(TEMPLATE_NAMES)}, e.g. {TEMPLATE_EXAMPLE[provider]}"
    templates: dict[str, str] = {}
    for pair in raw.split(","):
        purpose, _, template = (part.strip() for part in pair.partition("="))
        if purpose not in TEMPLATE_NAMES or purpose in templates or not TEMPLATE_CODE[provider].fullmatch(template):
            raise InvalidSetting(f"{name} must be {expected}; {pair.strip()!r} is not")
        templates[purpose] = template
    if missing := [p.value for p in TEMPLATE_NAMES if p not in templates]:
        upgrade = (
            ' (added for the security notice to a number an account leaves: see docs/sms-providers.md "Upgrading")'
            if missing == [SmsNotice.MOBILE_CHANGED.value]
            else ""
        )
        raise InvalidSetting(f"{name} has no template for {', '.join(missing)}{upgrade}: expected {expected}")
    return templates


def _endpoint(config: Mapping, name: str) -> Endpoint | None:
    raw = _optional(config, name)
    if raw is None:
        return None
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    try:
        valid_port = parts.port is None or parts.port > 0
    except ValueError:  # not a number, or out of range
        valid_port = False
    if (
        not valid_port
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise InvalidSetting(f"{name} must be a URL of scheme, host and optional port, e.g. http://127.0.0.1:8089")
    return Endpoint(host=parts.netloc, protocol=parts.scheme)


def _endpoint_args(endpoint: Endpoint | None) -> dict:
    return {} if endpoint is None else {"endpoint": endpoint.host, "protocol": endpoint.protocol}


def _aliyun(config: Mapping) -> AliyunSettings:
    return AliyunSettings(
        access_key_id=_text(config, "ALIYUN_SMS_ACCESS_KEY_ID"),
        access_key_secret=_text(config, "ALIYUN_SMS_ACCESS_KEY_SECRET"),
        sign_name=_text(config, "ALIYUN_SMS_SIGN_NAME"),
        templates=_templates(config, "ALIYUN_SMS_TEMPLATES", "aliyun"),
        endpoint=_endpoint(config, "ALIYUN_SMS_ENDPOINT"),
    )


def _tencent(config: Mapping) -> TencentSettings:
    app_id = _text(config, "TENCENT_SMS_APP_ID")
    if not re.fullmatch(r"[0-9]{6,20}", app_id):
        raise InvalidSetting("TENCENT_SMS_APP_ID must be the SdkAppId from the SMS console, digits such as 1400006666")
    region = _optional(config, "TENCENT_SMS_REGION") or "ap-guangzhou"
    if not re.fullmatch(r"[a-z]{2,5}-[a-z]{3,20}(-[0-9])?", region):
        raise InvalidSetting("TENCENT_SMS_REGION must be a region name such as ap-guangzhou")
    return TencentSettings(
        secret_id=_text(config, "TENCENT_SMS_SECRET_ID"),
        secret_key=_text(config, "TENCENT_SMS_SECRET_KEY"),
        app_id=app_id,
        sign_name=_text(config, "TENCENT_SMS_SIGN_NAME"),
        templates=_templates(config, "TENCENT_SMS_TEMPLATES", "tencent"),
        region=region,
        endpoint=_endpoint(config, "TENCENT_SMS_ENDPOINT"),
    )
