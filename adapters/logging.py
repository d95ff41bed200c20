"""structlog, configured once: console lines in development, JSON lines otherwise; mobiles masked, and audit
events logged without nicknames."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict

from domain.events import AuditEvent, EventType
from domain.model import mask_mobile


def _mask_mobiles(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    if isinstance(event_dict.get("mobile"), str):
        event_dict["mobile"] = mask_mobile(event_dict["mobile"])
    return event_dict


def configure_logging(*, json: bool, level: int = logging.INFO, stream: TextIO | None = None) -> None:
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,  # request_id and client ip, bound per request
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_mobiles,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=True,
    )
    # The SMS SDKs' HTTP layers log each request's URL or body at DEBUG: the mobile and the live code. Whatever
    # level the rest of the process logs at, these stay at WARNING.
    for noisy in ("urllib3", "tencentcloud_sdk_common"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


audit_logger = structlog.get_logger("audit")


# The log stream is kept, shipped and read more widely than the audit table, and erasure does not reach it: it
# carries no name a person chose (a nickname says who someone is) and no full mobile at any depth of the details.
_NAME_KEY = re.compile("nickname", re.IGNORECASE)
_NAMES_BY_TYPE: dict[str, frozenset[str]] = {EventType.NICKNAME_CHANGED: frozenset({"previous"})}
_FULL_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def _loggable(value: Any, names: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: _loggable(item, frozenset())
            for key, item in value.items()
            if not (_NAME_KEY.search(str(key)) or key in names)
        }
    if isinstance(value, list | tuple):
        return [_loggable(item, frozenset()) for item in value]
    if isinstance(value, str):
        return _FULL_MOBILE.sub(lambda found: mask_mobile(found.group()), value)
    return value


def log_event(event: AuditEvent) -> None:
    """Every committed audit event also goes to the log stream, without nicknames and with mobiles masked."""
    detail = _loggable(event.detail, _NAMES_BY_TYPE.get(str(event.type), frozenset()))
    audit_logger.info(str(event.type), mobile=event.mobile, user_id=event.user_id, ip=event.client.ip, **detail)
