"""What the use cases need from the outside world. Adapters implement these; tests pass fakes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, Self

from domain.console import EventFilter, Operator, OperatorSession, UserQuery
from domain.events import AuditEvent
from domain.model import CaptchaChallenge, SmsChallenge, User


class Users(Protocol):
    def get(self, user_id: int) -> User | None: ...
    def get_for_update(self, user_id: int) -> User | None: ...
    def get_by_mobile(self, mobile: str) -> User | None: ...
    def get_by_mobile_for_update(self, mobile: str) -> User | None:
        """The same, holding the row until commit so concurrent writers queue."""
        ...
    def add(self, user: User) -> None: ...


class SmsChallenges(Protocol):
    def add(self, challenge: SmsChallenge) -> None: ...
    def current_for_update(self, mobile: str, purpose: str) -> SmsChallenge | None:
        """The newest unspent challenge, held until commit."""
        ...
    def spend_all(self, mobile: str, purpose: str) -> None: ...
    def last_sent_at(self, mobile: str) -> datetime | None: ...
    def count_for_mobile_since(self, mobile: str, since: datetime) -> int: ...
    def count_for_ip_since(self, ip: str, since: datetime) -> int: ...


class CaptchaChallenges(Protocol):
    def put(self, challenge: CaptchaChallenge) -> None:
        """Store, replacing any challenge with the same id."""
        ...
    def take(self, captcha_id: str) -> CaptchaChallenge | None:
        """Remove and return it; of several concurrent takers only one gets it."""
        ...


class AuditLog(Protocol):
    """Appended to by the unit of work at commit; read here."""

    def recent_for_user(self, user_id: int, types: tuple[str, ...], limit: int) -> list[AuditEvent]:
        """Newest first."""
        ...


class EndedSessions(Protocol):
    """Sessions signed out one at a time; kept until they would have expired anyway."""

    def end(self, session_digest: str, until: datetime) -> None: ...
    def is_ended(self, session_digest: str) -> bool: ...


class Operators(Protocol):
    def get(self, operator_id: int) -> Operator | None: ...
    def get_for_update(self, operator_id: int) -> Operator | None: ...
    def get_by_username_for_update(self, username: str) -> Operator | None: ...
    def get_by_setup_digest_for_update(self, setup_digest: str) -> Operator | None: ...
    def list(self) -> list[Operator]: ...
    def add(self, operator: Operator) -> None:
        """Raises errors.Conflict when the username is taken."""
        ...


class OperatorSessions(Protocol):
    def add(self, session: OperatorSession) -> None: ...
    def get(self, session_digest: str) -> OperatorSession | None: ...
    def end_all(self, operator_id: int, now: datetime) -> None: ...


class Console(Protocol):
    """What the operator console reads; lists newest first."""

    def search_users(self, query: UserQuery, offset: int, limit: int) -> list[User]: ...
    def events(self, where: EventFilter, offset: int, limit: int) -> list[AuditEvent]: ...
    def count_by_day(self, boundaries: list[datetime], types: tuple[str, ...]) -> dict[tuple[int, str, str | None], int]:
        """Events of these types per (day index, type, detail.method); day i is boundaries[i] <= t < boundaries[i+1]."""
        ...
    def stored_day_counts(self, first: date, last: date) -> dict[tuple[date, str], int]:
        """The roll-up of days already counted: (day, metric) -> count."""
        ...
    def store_day_counts(self, counts: dict[tuple[date, str], int]) -> None: ...
    def delivery_receipts(self, message_ids: list[str], since: datetime) -> dict[str, AuditEvent]:
        """The newest receipt event per provider message id."""
        ...
    def refusal_reasons(self, event_type: str, since: datetime) -> list[tuple[str, int]]:
        """detail.reason of the events of this type since then, with counts, most frequent first."""
        ...


class UnitOfWork(Protocol):
    """One transaction: state and the events it caused are committed together, or neither is."""

    users: Users
    sms: SmsChallenges
    captchas: CaptchaChallenges
    audit: AuditLog
    sessions: EndedSessions
    operators: Operators
    operator_sessions: OperatorSessions
    console: Console

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...  # rolls back unless committed
    def record(self, event: AuditEvent) -> None: ...
    def commit(self) -> None:
        """Raises errors.Conflict when a unique constraint refuses the write."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class SmsSender(Protocol):
    def send_code(self, mobile: str, code: str, purpose: str) -> None: ...


class CaptchaRenderer(Protocol):
    def render(self, text: str) -> bytes:
        """A PNG image of the text."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware, in UTC."""
        ...


class Codes(Protocol):
    """Unpredictable strings: SMS codes and captcha texts."""

    def digits(self, length: int) -> str: ...
    def text(self, alphabet: str, length: int) -> str: ...


class Totp(Protocol):
    """Time-based one-time passwords (RFC 6238) for operators. Secrets are sealed: only the adapter opens them."""

    def new_secret(self) -> str: ...
    def provisioning_uri(self, sealed_secret: str, account: str) -> str:
        """The otpauth:// URI an authenticator app reads from the QR code."""
        ...
    def manual_key(self, sealed_secret: str) -> str:
        """The secret in base32, for typing it in instead."""
        ...
    def matching_step(self, sealed_secret: str, code: str, now: datetime) -> int | None:
        """The time step (now, or one step either side) whose code this is; None when none is."""
        ...
