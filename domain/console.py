"""What the operator console (管理后台) reads: the search box's query, the audit log's filters, pages of
results, and the dashboard's metrics and day counts (in Beijing time, domain/local_time.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from domain.events import AuditEvent, EventType
from domain.model import MOBILE_PATTERN, mask_mobile

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # from 1
    has_next: bool


@dataclass(frozen=True)
class UserQuery:
    """What the search box means; a user matching any of them is found (the id first, then by mobile, then by
    nickname).

    A prefix of a mobile is a search only for a role that may see full mobiles: from masked rows, a prefix that
    narrows digit by digit reads a whole number in about 30 searches. Without that grant, only a whole mobile
    finds its account, exactly (whoever types it knows it already)."""

    user_id: int | None = None
    mobile_prefix: str | None = None
    nickname_prefix: str | None = None
    mobile: str | None = None  # exactly this mobile

    @classmethod
    def parse(cls, raw: str, *, prefix_on_mobiles: bool = False) -> UserQuery:
        text = raw.strip()
        if not text:
            return cls()
        if text.isascii() and text.isdigit():
            user_id = int(text) if len(text) <= 18 else None  # 18 digits: always within a 64-bit id
            if prefix_on_mobiles:
                return cls(user_id=user_id, mobile_prefix=text if len(text) >= 3 else None, nickname_prefix=text[:32])
            mobile = text if MOBILE_PATTERN.fullmatch(text) else None
            return cls(user_id=user_id, mobile=mobile, nickname_prefix=text[:32])
        return cls(nickname_prefix=text[:32])

    @property
    def empty(self) -> bool:
        return self.user_id is None and self.mobile_prefix is None and self.nickname_prefix is None and not self.mobile


@dataclass(frozen=True)
class EventFilter:
    types: tuple[str, ...] = ()
    mobile: str | None = None
    user_id: int | None = None
    ip: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def describe(self) -> dict[str, Any]:
        """For the export's audit event: the filters that were set."""
        values = {
            "types": list(self.types),
            "mobile": self.mobile,
            "user_id": self.user_id,
            "ip": self.ip,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {key: value for key, value in values.items() if value}


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, str) and MOBILE_PATTERN.fullmatch(value):
        return mask_mobile(value)
    return value


def with_masked_mobiles(event: AuditEvent) -> AuditEvent:
    """The event as a role without the full-mobile grant sees it: its mobile, and every mobile at any depth of its
    detail (an export's `filters.mobile`), masked."""
    return replace(
        event, mobile=mask_mobile(event.mobile) if event.mobile else event.mobile, detail=_masked(event.detail)
    )


# The dashboard's series: metric -> the event types it counts. Sign-ins are split by detail.method (no method
# means a password sign-in, as every sign-in was before SMS sign-in existed).
METRICS: dict[str, tuple[str, ...]] = {
    "registrations": (EventType.USER_REGISTERED,),
    "sign_ins_password": (EventType.LOGIN_SUCCEEDED,),
    "sign_ins_sms": (EventType.LOGIN_SUCCEEDED,),
    "sign_in_failures": (EventType.LOGIN_FAILED,),
    "lockouts": (EventType.ACCOUNT_LOCKED,),
    "sms_sent": (EventType.SMS_CODE_SENT,),
    "sms_refused": (EventType.SMS_CODE_REFUSED,),
    "sms_failed": (EventType.SMS_CODE_SEND_FAILED, EventType.SMS_CODE_DELIVERY_FAILED),
    "sms_delivered": (EventType.SMS_CODE_DELIVERED,),  # delivery receipts from the providers
    "cancellations": (EventType.ACCOUNT_DELETION_REQUESTED,),  # 注销
}
SMS_RECEIPTS = (EventType.SMS_CODE_DELIVERED, EventType.SMS_CODE_DELIVERY_FAILED)


def metric_of(event_type: str, method: str | None) -> str | None:
    if event_type == EventType.LOGIN_SUCCEEDED:
        return "sign_ins_sms" if method == "sms" else "sign_ins_password"
    return next((name for name, types in METRICS.items() if event_type in types), None)


def counted_types() -> tuple[str, ...]:
    return tuple(sorted({str(t) for types in METRICS.values() for t in types}))


@dataclass(frozen=True)
class DayCounts:
    days: list[date]
    series: dict[str, list[int]]  # metric -> one number per day, oldest first
