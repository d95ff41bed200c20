"""What the use cases need from the outside world. Adapters implement these; tests pass fakes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol, Self

from domain.console import EventFilter, UserQuery
from domain.events import AuditEvent
from domain.model import (
    CaptchaChallenge,
    Consent,
    HeldNumber,
    SentSms,
    SessionEnd,
    SmsChallenge,
    SmsNotice,
    SmsPurpose,
    User,
    UserSession,
)
from domain.operators import Operator, OperatorSession
from domain.outbox import ApiKey, OutboxEvent, TypeFilter, WebhookEndpoint, WebhookStatus

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

    def page_for_user(self, user_id: int, after: EventCursor | None, limit: int) -> list[tuple[int, AuditEvent]]:
        """(id, event) of the user's events, oldest first, starting after the cursor."""
        ...

    def page_unattributed(
        self,
        mobile: str,
        after: EventCursor | None,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[int, AuditEvent]]:
        """The same for events about the mobile that name no user (a sign-up code sent before the account was),
        those at or after `since` and before `until` when given."""
        ...

    def numbers_held(self, user_id: int) -> list[tuple[str, datetime]]:
        """(mobile, when) of the user's `user.registered`, `mobile.changed` and `admin.user_mobile_changed` events:
        each number it took, and when, oldest first."""
        ...

    def pseudonymize(
        self,
        user_id: int,
        held: Sequence[HeldNumber],
        pseudonym: Callable[[str], str],
        personal_detail: Mapping[str, tuple[str, ...]],
    ) -> int:
        """The one rewrite the log allows, for an erased account. In the user's own events every `mobile` becomes
        pseudonym(mobile), the detail keys listed per event type are blanked, and every held number is replaced in
        `detail` at any depth (model.pseudonymize_mentions). In every other event a held number, in `mobile` or
        anywhere in `detail`, is replaced as well where HeldNumber.covers says the event is the erased account's
        business. Returns how many events changed."""
        ...


class Sessions(Protocol):
    """One record per sign-in, found by the keyed digest of the id its cookie carries."""

    def add(self, session: UserSession) -> None:
        """Raises errors.Conflict when the digest or the public id is taken."""
        ...

    def get(self, token_digest: str) -> UserSession | None: ...
    def get_for_update(self, token_digest: str) -> UserSession | None: ...
    def get_by_public_id_for_update(self, public_id: str) -> UserSession | None: ...
    def live_for_user(self, user_id: int, now: datetime) -> list[UserSession]:
        """Not ended and not past their absolute expiry, most recently active first."""
        ...

    def touch(self, session_id: int, now: datetime, ip: str | None) -> None:
        """Record activity: only the last-seen time and address change, and only while the session is not ended."""
        ...

    def end_all(self, user_id: int, now: datetime, reason: SessionEnd) -> int:
        """End every session of the user not ended yet, in one statement; returns how many.

        The one way to sign a user out everywhere (password change or reset, 退出所有设备, an operator)."""
        ...

    def for_user(self, user_id: int) -> list[UserSession]:
        """Every record of the user, ended ones too, oldest first: for the user's copy of their data."""
        ...

    def remove_for_user(self, user_id: int) -> None:
        """When the account is erased: the records hold where and on what the user signed in."""
        ...


class Consents(Protocol):
    def add(self, consent: Consent) -> None: ...
    def for_user(self, user_id: int) -> list[Consent]:
        """Oldest first."""
        ...

    def remove_for_user(self, user_id: int) -> None: ...


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
    def count_by_day(
        self, boundaries: list[datetime], types: tuple[str, ...]
    ) -> dict[tuple[int, str, str | None], int]:
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

    # Read-only, so an implementation may hold its own repository classes (SQLAlchemy's, the tests' fakes).
    @property
    def users(self) -> Users: ...
    @property
    def sms(self) -> SmsChallenges: ...
    @property
    def captchas(self) -> CaptchaChallenges: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def sessions(self) -> Sessions: ...
    @property
    def consents(self) -> Consents: ...
    @property
    def operators(self) -> Operators: ...
    @property
    def operator_sessions(self) -> OperatorSessions: ...
    @property
    def console(self) -> Console: ...

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...  # rolls back unless committed
    def record(self, event: AuditEvent) -> None: ...
    def commit(self) -> None:
        """Raises errors.Conflict when a unique constraint refuses the write."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class SmsSender(Protocol):
    def send_code(self, mobile: str, code: str, purpose: SmsPurpose) -> SentSms:
        """Hand the code to a provider (called with no transaction open; bounded by the adapter's timeouts).

        Raises errors.SmsNumberThrottled or errors.SmsNumberRejected when the provider refuses this number, and
        errors.SmsProviderFailed for any other failure (a failover chain raises its last provider's)."""
        ...

    def send_notice(self, mobile: str, notice: SmsNotice) -> SentSms:
        """Hand a notice (no code, no parameters: its own template) to a provider; raises as send_code does."""
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
    """Unpredictable strings: SMS codes, captcha texts, session ids."""

    def digits(self, length: int) -> str: ...
    def text(self, alphabet: str, length: int) -> str: ...
    def token(self, nbytes: int) -> str:
        """nbytes random bytes as URL-safe text ([A-Za-z0-9_-])."""
        ...


# --- the event log leaving the service ------------------------------------------------------------------


class ApiKeys(Protocol):
    def add(self, name: str, key_digest: str, created_at: datetime) -> int: ...
    def get(self, key_id: int) -> ApiKey | None: ...
    def find_active(self, key_digest: str) -> ApiKey | None: ...
    def revoke(self, key_id: int, when: datetime) -> None: ...
    def all(self) -> list[ApiKey]: ...
    def mark_used(self, key_id: int, now: datetime, unless_since: datetime) -> bool:
        """Set last_used_at to now unless it is already at or after `unless_since`; True when this call did
        (of racing calls, one)."""
        ...


class WebhookEndpoints(Protocol):
    def add(
        self,
        url: str,
        event_types: tuple[str, ...],
        allow_private: bool,
        full_mobile: bool,
        secret_salt: str,
        created_at: datetime,
        from_beginning: bool = False,
    ) -> int:
        """Stored to receive what is committed from now on: no event committed before it, sequenced by the relay
        or not yet; with `from_beginning`, every event still in the log."""
        ...

    def get(self, endpoint_id: int) -> WebhookEndpoint | None: ...
    def remove(self, endpoint_id: int) -> None:
        """With its pending and failed deliveries."""
        ...

    def replay_failed(self, endpoint_id: int | None, now: datetime) -> int:
        """Failed deliveries become pending again, due now, with a fresh retry window; returns how many."""
        ...

    def statuses(self) -> list[WebhookStatus]: ...


class TargetGuard(Protocol):
    def check(self, host: str, port: int, allow_private: bool) -> None:
        """Resolves the host; raises errors.WebhookTargetRefused when an address it resolves to is not public
        (unless allowed), errors.WebhookUrlInvalid when it does not resolve."""
        ...


class IntegrationsUnitOfWork(UnitOfWork, Protocol):
    @property
    def api_keys(self) -> ApiKeys: ...
    @property
    def webhooks(self) -> WebhookEndpoints: ...


class IntegrationsUnitOfWorkFactory(Protocol):
    def __call__(self) -> IntegrationsUnitOfWork: ...


class EventFeed(Protocol):
    def after(self, position: int, limit: int, types: TypeFilter) -> list[OutboxEvent]:
        """Sequenced events past `position` whose type passes, in delivery order."""
        ...


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
