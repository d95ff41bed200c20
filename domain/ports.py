"""What the use cases need from the outside world. Adapters implement these; tests pass fakes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Self

from domain.events import AuditEvent
from domain.model import CaptchaChallenge, SentSms, SmsChallenge, User


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
    def last_sent_at(self, mobile: str) -> datetime | None:
        """Of the codes that count: every one but those whose send failed (so for the counts below too)."""
        ...
    def count_for_mobile_since(self, mobile: str, since: datetime) -> int: ...
    def count_for_ip_since(self, ip: str, since: datetime) -> int: ...
    def count_for_mobile_and_ip_since(self, mobile: str, ip: str, since: datetime) -> int: ...
    def hold_send_locks(self, mobile: str, ip: str | None, now: datetime) -> None:
        """Lock this mobile's quota row, then this client address's, until commit: concurrent sends to one
        mobile, or from one address, read the counts above one at a time (always in that order: no deadlock)."""
        ...
    def get_for_update(self, challenge_id: int) -> SmsChallenge | None: ...
    def spend_older(self, mobile: str, purpose: str, than_id: int) -> None:
        """Spend the codes for this mobile and purpose stored before that one: a sent code replaces them."""
        ...
    def by_message_id_for_update(self, provider: str, message_id: str) -> SmsChallenge | None: ...
    def sending_since_before(self, before: datetime, limit: int) -> list[SmsChallenge]:
        """Codes still "sending" that were stored before `before`, held until commit: a process died mid-send."""
        ...


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


class UnitOfWork(Protocol):
    """One transaction: state and the events it caused are committed together, or neither is."""

    users: Users
    sms: SmsChallenges
    captchas: CaptchaChallenges
    audit: AuditLog
    sessions: EndedSessions

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...  # rolls back unless committed
    def record(self, event: AuditEvent) -> None: ...
    def commit(self) -> None:
        """Raises errors.Conflict when a unique constraint refuses the write."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class SmsSender(Protocol):
    def send_code(self, mobile: str, code: str, purpose: str) -> SentSms:
        """Hand the code to a provider (called with no transaction open; bounded by the adapter's timeouts).

        Raises errors.SmsNumberThrottled or errors.SmsNumberRejected when the provider refuses this number, and
        errors.SmsProviderFailed for any other failure (a failover chain raises its last provider's)."""
        ...


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
