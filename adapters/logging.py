"""structlog, configured once: console lines in development, JSON lines otherwise; mobiles masked."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict

from domain.events import AuditEvent
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


def log_event(event: AuditEvent) -> None:
    """Every committed audit event also goes to the log stream."""
    audit_logger.info(str(event.type), mobile=event.mobile, user_id=event.user_id, ip=event.client.ip, **event.detail)
