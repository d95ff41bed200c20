"""Operators of the console (管理后台): the aggregate, their roles and what each role may do, their sessions,
setup links and recovery codes.

Operators are not users: they have their own table, sign in with a username, a password and a TOTP code, and
act on users. Which role may do what is decided here, so every use case asks the same question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain import errors
from domain.model import User, digest
from domain.rules import Rules

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
    CHANGE_MOBILE = "change_mobile"  # 申诉: a user who lost the old number gets a new one (audited, with a reason)


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
