"""What the use cases need from the outside world. Adapters implement these; tests pass fakes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol, Self

from domain.events import AuditEvent
from domain.model import CaptchaChallenge, Consent, SmsChallenge, User

# Where a page of audit events ended: (occurred_at, id) of its last event; the next page starts after it.
EventCursor = tuple[datetime, int]


class Users(Protocol):
    def get(self, user_id: int) -> User | None: ...
    def get_for_update(self, user_id: int) -> User | None: ...
    def get_by_mobile(self, mobile: str) -> User | None: ...
    def get_by_mobile_for_update(self, mobile: str) -> User | None:
        """The same, holding the row until commit so concurrent writers queue."""
        ...
    def add(self, user: User) -> None: ...
    def remove(self, user: User) -> None:
        """Erase the row. Its id is never handed out again (AUTOINCREMENT on SQLite, sequences elsewhere)."""
        ...
    def due_for_erasure(self, now: datetime, after_id: int, limit: int) -> list[int]:
        """Ids above `after_id`, in order, of accounts whose cool-off ended at or before `now`."""
        ...


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
    def page_for_user(self, user_id: int, after: EventCursor | None, limit: int) -> list[tuple[int, AuditEvent]]:
        """(id, event) of the user's events, oldest first, starting after the cursor."""
        ...
    def page_unattributed(self, mobile: str, after: EventCursor | None, limit: int) -> list[tuple[int, AuditEvent]]:
        """The same for events about the mobile that name no user (a sign-up code sent before the account was)."""
        ...
    def pseudonymize(self, user_id: int, mobile: str, until: datetime, pseudonym: Callable[[str], str],
                     personal_detail: Mapping[str, tuple[str, ...]]) -> int:
        """The one rewrite the log allows: in the user's events, and in events naming no user but this mobile up
        to `until`, each mobile becomes pseudonym(mobile) and the detail keys listed per event type are blanked.
        Returns how many events changed."""
        ...


class EndedSessions(Protocol):
    """Sessions signed out one at a time; kept until they would have expired anyway."""

    def end(self, session_digest: str, until: datetime) -> None: ...
    def is_ended(self, session_digest: str) -> bool: ...


class Consents(Protocol):
    def add(self, consent: Consent) -> None: ...
    def for_user(self, user_id: int) -> list[Consent]:
        """Oldest first."""
        ...
    def remove_for_user(self, user_id: int) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: state and the events it caused are committed together, or neither is."""

    users: Users
    sms: SmsChallenges
    captchas: CaptchaChallenges
    audit: AuditLog
    sessions: EndedSessions
    consents: Consents

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
