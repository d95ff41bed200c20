"""Audit events: facts in the past tense, recorded by the use cases and stored with the change they describe.

One dataclass for all of them keeps the append-only log a single table that any type can be read from;
the type names and the fields each carries are listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    SMS_CODE_SENT = "sms_code.sent"  # detail.provider, detail.message_id; detail.confirmed false: see README
    SMS_CODE_REFUSED = "sms_code.refused"  # detail.reason: a refusal slug
    SMS_CODE_SEND_FAILED = "sms_code.send_failed"  # detail.reason, detail.provider, detail.provider_code
    CAPTCHA_ISSUED = "captcha.issued"
    USER_REGISTERED = "user.registered"
    REGISTRATION_REFUSED = "registration.refused"  # detail.reason
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"  # detail.reason
    ACCOUNT_LOCKED = "account.locked"  # detail.until
    LOGGED_OUT = "user.logged_out"
    PASSWORD_RESET = "password.reset"
    PASSWORD_RESET_REFUSED = "password_reset.refused"  # detail.reason
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_CHANGE_REFUSED = "password_change.refused"  # detail.reason
    NICKNAME_CHANGED = "nickname.changed"
    SIGNED_OUT_EVERYWHERE = "sessions.revoked"
    # An SMS's delivery receipt from its provider: detail.provider, detail.message_id, detail.status
    SMS_CODE_DELIVERED = "sms_code.delivered"
    SMS_CODE_DELIVERY_FAILED = "sms_code.delivery_failed"


@dataclass(frozen=True)
class ClientContext:
    """Who asked: passed in by the entrypoint, carried by every event."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    type: EventType
    occurred_at: datetime
    client: ClientContext
    mobile: str | None = None
    user_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
