"""The operator console (管理后台): operators, their roles and sessions, and what the console asks of the data.

Operators are not users: they have their own table, sign in with a username, a password and a TOTP code, and
act on users. Which role may do what is decided here, so every use case asks the same question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Generic, TypeVar

from domain import errors
from domain.events import EventType
from domain.model import User, digest
from domain.rules import Rules

BEIJING = timezone(
    timedelta(hours=8), "UTC+08:00"
)  # Beijing time: the console's days; China keeps one zone, no daylight saving
USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,31}")
# Setup links and recovery codes: lower case letters and digits without look-alikes (no 0/o, 1/l/i).
TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SETUP_TOKEN_LENGTH = 32  # about 160 bits
RECOVERY_CODE_LENGTH = 12  # about 60 bits, typed as xxxx-xxxx-xxxx


class Role(StrEnum):
    ADMIN = "admin"  # everything below
    AUDITOR = "auditor"  # reads, and exports the audit log


class Action(StrEnum):
    READ = "read"  # dashboard, users (masked mobiles), a user's events, the audit log, SMS, webhooks
    EXPORT = "export"  # the audit log as CSV (audited)
    VIEW_MOBILE = "view_mobile"  # a user's full mobile (audited)
    UNLOCK = "unlock"
    DISABLE = "disable"
    ENABLE = "enable"
    END_SESSIONS = "end_sessions"


GRANTS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.AUDITOR: frozenset({Action.READ, Action.EXPORT}),
}


def normalize_username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME.fullmatch(username):
        raise errors.InvalidUsername()
    return username


def normalize_recovery_code(raw: str) -> str:
    return "".join(ch for ch in raw.lower() if ch not in " -")


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def looks_like_recovery_code(raw: str) -> bool:
    return len(normalize_recovery_code(raw)) == RECOVERY_CODE_LENGTH


@dataclass(frozen=True)
class Actor:
    """The signed-in operator a console request acts for, loaded afresh for every request."""

    operator_id: int
    username: str
    role: Role

    def may(self, action: Action) -> bool:
        return action in GRANTS.get(self.role, frozenset())

    def detail(self) -> dict[str, Any]:
        """What every event of this operator's carries."""
        return {"operator_id": self.operator_id, "operator": self.username}


@dataclass(eq=False)
class Operator:
    username: str
    role: str
    created_at: datetime
    id: int | None = None
    password_hash: str | None = None  # None until the setup link is used
    totp_secret: str | None = None  # sealed by the Totp adapter: the plain secret never reaches the domain
    enrolled_at: datetime | None = None
    last_totp_step: int = 0  # each TOTP code works once: the next sign-in needs a later time step
    recovery_codes: list[str] = field(default_factory=list)  # keyed digests of the unused ones
    setup_digest: str | None = None
    setup_expires_at: datetime | None = None
    disabled_at: datetime | None = None
    failed_logins: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None

    # Lockout as for users: the same fields, the same counting before the compare, the same numbers.
    lock_remaining = User.lock_remaining
    start_login_attempt = User.start_login_attempt
    login_succeeded = User.login_succeeded

    @property
    def can_sign_in(self) -> bool:
        return self.enrolled_at is not None and self.disabled_at is None and self.password_hash is not None

    def actor(self) -> Actor:
        assert self.id is not None  # only a stored operator acts
        return Actor(self.id, self.username, Role(self.role))

    def setup_link_valid(self, now: datetime) -> bool:
        return (
            self.setup_digest is not None
            and self.disabled_at is None
            and self.setup_expires_at is not None
            and now < self.setup_expires_at
        )

    def use_recovery_code(self, raw: str, rules: Rules) -> bool:
        """Single use: a matching code is removed."""
        assert self.id is not None  # codes are made for a stored operator
        given = recovery_digest(rules, self.id, normalize_recovery_code(raw))
        if given not in self.recovery_codes:
            return False
        self.recovery_codes = [code for code in self.recovery_codes if code != given]  # a new list: saved
        return True


def recovery_digest(rules: Rules, operator_id: int, code: str) -> str:
    return digest(rules.code_key, "operator-recovery", str(operator_id), code)


def setup_digest(rules: Rules, token: str) -> str:
    return digest(rules.code_key, "operator-setup", token.strip())


def session_digest(rules: Rules, session_id: str) -> str:
    return digest(rules.code_key, "operator-session", session_id)


@dataclass(eq=False)
class OperatorSession:
    """A console session, kept server-side: the cookie carries only its random id (stored here as a digest)."""

    digest: str
    operator_id: int
    started_at: datetime
    last_seen_at: datetime
    ip: str | None = None
    user_agent: str | None = None
    ended_at: datetime | None = None

    def alive(self, now: datetime, rules: Rules) -> bool:
        return (
            self.ended_at is None
            and now < self.started_at + rules.operator_session_lifetime
            and now - self.last_seen_at < rules.operator_idle_timeout
        )


# --- what the console reads -------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # from 1
    has_next: bool


@dataclass(frozen=True)
class UserQuery:
    """What the search box means; a user matching any of them is found (the id first, then by mobile, then by
    nickname)."""

    user_id: int | None = None
    mobile_prefix: str | None = None
    nickname_prefix: str | None = None

    @classmethod
    def parse(cls, raw: str) -> UserQuery:
        text = raw.strip()
        if not text:
            return cls()
        if text.isascii() and text.isdigit():
            user_id = int(text) if len(text) <= 18 else None  # 18 digits: always within a 64-bit id
            return cls(user_id=user_id, mobile_prefix=text if len(text) >= 3 else None, nickname_prefix=text[:32])
        return cls(nickname_prefix=text[:32])

    @property
    def empty(self) -> bool:
        return self.user_id is None and self.mobile_prefix is None and self.nickname_prefix is None


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
    "sms_failed": (EventType.SMS_CODE_SEND_FAILED, "sms_code.delivery_failed"),
    "sms_delivered": ("sms_code.delivered",),  # delivery receipts, once the providers send them
    "cancellations": ("account.deletion_requested",),  # 注销, once users can ask for it
}
SMS_RECEIPTS = ("sms_code.delivered", "sms_code.delivery_failed")


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
