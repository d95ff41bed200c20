"""In-memory fakes for the ports in domain/ports.py (the use cases get them through the composition root:
tests/builders.py's make_services calls entrypoints/bootstrap.py with them).

Follows "Architecture Patterns with Python": repositories over plain lists/dicts, a fake unit of work
sharing one FakeStore. A unit of work snapshots the store on enter and restores it on exit unless
it committed, so "rolled back" really means "nothing written". Restoring works in place: a test's
reference to a stored object stays valid across transactions.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import deque
from datetime import UTC, datetime
from typing import Self

from domain import errors
from domain.console import SMS_RECEIPTS, EventFilter, UserQuery
from domain.events import AuditEvent, EventType
from domain.model import (
    CaptchaChallenge,
    Consent,
    SentSms,
    SessionEnd,
    SmsChallenge,
    SmsStatus,
    User,
    UserSession,
    pseudonymize_mentions,
)
from domain.operators import Operator, OperatorSession

# --- repositories -----------------------------------------------------------------------------


def _snapshot(rows):
    """The container's membership plus a deep copy of each row's fields."""
    objects = rows.values() if isinstance(rows, dict) else rows
    return copy.copy(rows), [(obj, copy.deepcopy(vars(obj))) for obj in objects]


def _restore(snapshot):
    """Undo changes in place, so that references held elsewhere stay the stored objects."""
    rows, states = snapshot
    for obj, state in states:
        vars(obj).clear()
        vars(obj).update(state)
    return rows


class _Table:
    """A fake table's rows, which a unit of work can snapshot and restore."""

    rows: dict | list

    def snapshot(self):
        return _snapshot(self.rows)

    def restore(self, state) -> None:
        self.rows = _restore(state)


class _NumberedTable(_Table):
    """A fake table that hands out ids: a rollback takes back the ids it handed out too."""

    next_id: int

    def snapshot(self):
        return super().snapshot(), self.next_id

    def restore(self, state) -> None:
        rows, self.next_id = state
        super().restore(rows)


class FakeUsers(_NumberedTable):
    def __init__(self) -> None:
        self.rows: dict[int, User] = {}
        self.next_id = 1

    def get(self, user_id: int) -> User | None:
        return self.rows.get(user_id)

    def get_for_update(self, user_id: int) -> User | None:
        return self.get(user_id)

    def get_by_mobile(self, mobile: str) -> User | None:
        return next((u for u in self.rows.values() if u.mobile == mobile), None)

    def get_by_mobile_for_update(self, mobile: str) -> User | None:
        return self.get_by_mobile(mobile)

    def add(self, user: User) -> None:
        # Mimics the unique constraint on users.mobile (scans rows directly, not via get_by_mobile).
        if any(u.mobile == user.mobile for u in self.rows.values()):
            raise errors.Conflict()
        user.id, self.next_id = self.next_id, self.next_id + 1
        self.rows[user.id] = user

    def remove(self, user: User) -> None:
        assert user.id is not None  # a stored user
        del self.rows[user.id]  # next_id only grows: an id is never handed out twice

    def due_for_erasure(self, now: datetime, after_id: int, limit: int) -> list[int]:
        return sorted(
            user_id
            for user_id, u in self.rows.items()
            if user_id > after_id and u.deletion_due_at is not None and u.deletion_due_at <= now
        )[:limit]


class FakeSmsChallenges(_NumberedTable):
    def __init__(self) -> None:
        self.rows: list[SmsChallenge] = []
        self.next_id = 1
        self.locks_taken: list[tuple[str, str | None]] = []

    def add(self, challenge: SmsChallenge) -> None:
        challenge.id, self.next_id = self.next_id, self.next_id + 1
        self.rows.append(challenge)

    def current_for_update(self, mobile: str, purpose: str) -> SmsChallenge | None:
        unspent = [c for c in self.rows if c.mobile == mobile and c.purpose == purpose and not c.spent]
        return max(unspent, key=lambda c: (c.created_at, c.id), default=None)

    def last_sent_at(self, mobile: str) -> datetime | None:
        return max((c.created_at for c in self.counted() if c.mobile == mobile), default=None)

    def count_for_mobile_since(self, mobile: str, since: datetime) -> int:
        return sum(1 for c in self.counted() if c.mobile == mobile and c.created_at >= since)

    def count_for_ip_since(self, ip: str, since: datetime) -> int:
        return sum(1 for c in self.counted() if c.client_ip == ip and c.created_at >= since)

    def counted(self) -> list[SmsChallenge]:
        return [c for c in self.rows if c.status != SmsStatus.FAILED]

    def count_for_mobile_and_ip_since(self, mobile: str, ip: str, since: datetime) -> int:
        return sum(1 for c in self.counted() if c.mobile == mobile and c.client_ip == ip and c.created_at >= since)

    def hold_send_locks(self, mobile: str, ip: str | None, now: datetime) -> None:
        self.locks_taken.append((mobile, ip))  # one thread: nothing to wait for; tests check the call

    def get_for_update(self, challenge_id: int) -> SmsChallenge | None:
        return next((c for c in self.rows if c.id == challenge_id), None)

    def spend_older(self, mobile: str, purpose: str, than_id: int) -> None:
        for c in self.rows:
            if c.mobile == mobile and c.purpose == purpose and not c.spent and (c.id or 0) < than_id:
                c.spent = True

    def by_message_id_for_update(self, provider: str, message_id: str) -> SmsChallenge | None:
        return next((c for c in self.rows if c.provider == provider and c.message_id == message_id), None)

    def sending_since_before(self, before: datetime, limit: int) -> list[SmsChallenge]:
        return [c for c in self.rows if c.status == SmsStatus.SENDING and c.created_at < before][:limit]


class FakeCaptchaChallenges(_Table):
    def __init__(self) -> None:
        self.rows: dict[str, CaptchaChallenge] = {}

    def put(self, challenge: CaptchaChallenge) -> None:
        self.rows[challenge.id] = challenge

    def take(self, captcha_id: str) -> CaptchaChallenge | None:
        return self.rows.pop(captcha_id, None)


class FakeSessions(_NumberedTable):
    def __init__(self) -> None:
        self.rows: dict[int, UserSession] = {}
        self.next_id = 1

    def add(self, session: UserSession) -> None:
        # Mimics the unique constraints on token_digest and public_id.
        if any(s.token_digest == session.token_digest or s.public_id == session.public_id for s in self.rows.values()):
            raise errors.Conflict()
        session.id, self.next_id = self.next_id, self.next_id + 1
        self.rows[session.id] = session

    def get(self, token_digest: str) -> UserSession | None:
        return next((s for s in self.rows.values() if s.token_digest == token_digest), None)

    def get_for_update(self, token_digest: str) -> UserSession | None:
        return self.get(token_digest)

    def get_by_public_id_for_update(self, public_id: str) -> UserSession | None:
        return next((s for s in self.rows.values() if s.public_id == public_id), None)

    def live_for_user(self, user_id: int, now: datetime) -> list[UserSession]:
        live = [s for s in self.rows.values() if s.user_id == user_id and s.ended_at is None and s.expires_at > now]
        return sorted(live, key=lambda s: (s.last_seen_at, s.id), reverse=True)

    def touch(self, session_id: int, now: datetime, ip: str | None) -> None:
        session = self.rows.get(session_id)
        if session is not None and session.ended_at is None:
            session.last_seen_at, session.ip = now, ip

    def end_all(self, user_id: int, now: datetime, reason: SessionEnd) -> int:
        live = [s for s in self.rows.values() if s.user_id == user_id and s.ended_at is None]
        for session in live:
            session.end(now, reason)
        return len(live)

    def for_user(self, user_id: int) -> list[UserSession]:
        return sorted((s for s in self.rows.values() if s.user_id == user_id), key=lambda s: (s.created_at, s.id))

    def remove_for_user(self, user_id: int) -> None:
        self.rows = {key: s for key, s in self.rows.items() if s.user_id != user_id}


class FakeAuditLog:
    """Reads the store's committed events, as the SQL log reads its table."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def recent_for_user(self, user_id: int, types: tuple[str, ...], limit: int) -> list[AuditEvent]:
        mine = [e for e in self.store.events if e.user_id == user_id and e.type in types]
        return sorted(mine, key=lambda e: e.occurred_at, reverse=True)[:limit]

    def _page(self, about, after, limit: int) -> list[tuple[int, AuditEvent]]:
        """An event's id is its position in the log, from 1."""
        rows = [(i, e) for i, e in enumerate(self.store.events, 1) if about(e)]
        rows.sort(key=lambda row: (row[1].occurred_at, row[0]))
        if after is not None:
            rows = [row for row in rows if (row[1].occurred_at, row[0]) > after]
        self.store.pages_read += 1
        return rows[:limit]

    def page_for_user(self, user_id: int, after, limit: int) -> list[tuple[int, AuditEvent]]:
        return self._page(lambda e: e.user_id == user_id, after, limit)

    def page_unattributed(self, mobile: str, after, limit: int, since=None, until=None) -> list[tuple[int, AuditEvent]]:
        def about(e: AuditEvent) -> bool:
            return (
                e.user_id is None
                and e.mobile == mobile
                and (since is None or e.occurred_at >= since)
                and (until is None or e.occurred_at < until)
            )

        return self._page(about, after, limit)

    def numbers_held(self, user_id: int) -> list[tuple[str, datetime]]:
        took = (EventType.USER_REGISTERED, EventType.MOBILE_CHANGED, EventType.ADMIN_USER_MOBILE_CHANGED)
        return [
            (e.mobile, e.occurred_at)
            for e in self.store.events
            if e.user_id == user_id and e.type in took and e.mobile is not None
        ]

    def pseudonymize(self, user_id, held, pseudonym, personal_detail) -> int:
        every = {h.number: pseudonym(h.number) for h in held}
        changed = 0
        for i, e in enumerate(self.store.events):
            if e.user_id == user_id:
                detail = pseudonymize_mentions(e.detail, every)
                if e.type in personal_detail:
                    detail = {k: None if k in personal_detail[e.type] else v for k, v in detail.items()}
                new = dataclasses.replace(e, mobile=pseudonym(e.mobile) if e.mobile else e.mobile, detail=detail)
            else:
                covered = {h.number: every[h.number] for h in held if h.covers(e.user_id, e.occurred_at)}
                mobile = covered.get(e.mobile, e.mobile) if e.mobile else e.mobile
                new = dataclasses.replace(e, mobile=mobile, detail=pseudonymize_mentions(e.detail, covered))
            if new != e:
                self.store.events[i] = new
                changed += 1
        return changed


class FakeConsents:
    def __init__(self) -> None:
        self.rows: list[Consent] = []

    def add(self, consent: Consent) -> None:
        self.rows.append(consent)

    def for_user(self, user_id: int) -> list[Consent]:
        return [c for c in self.rows if c.user_id == user_id]

    def remove_for_user(self, user_id: int) -> None:
        self.rows = [c for c in self.rows if c.user_id != user_id]

    def snapshot(self):
        return list(self.rows)

    def restore(self, state) -> None:
        self.rows = state


class FakeOperators(_NumberedTable):
    def __init__(self) -> None:
        self.rows: dict[int, Operator] = {}
        self.next_id = 1

    def get(self, operator_id: int) -> Operator | None:
        return self.rows.get(operator_id)

    get_for_update = get

    def get_by_username_for_update(self, username: str) -> Operator | None:
        return next((o for o in self.rows.values() if o.username == username), None)

    def get_by_setup_digest_for_update(self, setup_digest: str) -> Operator | None:
        return next((o for o in self.rows.values() if o.setup_digest == setup_digest), None)

    def list(self) -> list[Operator]:
        return sorted(self.rows.values(), key=lambda o: o.id or 0)

    def add(self, operator: Operator) -> None:
        if any(o.username == operator.username for o in self.rows.values()):
            raise errors.Conflict()
        operator.id, self.next_id = self.next_id, self.next_id + 1
        self.rows[operator.id] = operator


class FakeOperatorSessions(_Table):
    def __init__(self) -> None:
        self.rows: dict[str, OperatorSession] = {}

    def add(self, session: OperatorSession) -> None:
        if session.digest in self.rows:
            raise errors.Conflict()
        self.rows[session.digest] = session

    def get(self, session_digest: str) -> OperatorSession | None:
        return self.rows.get(session_digest)

    def end_all(self, operator_id: int, now: datetime) -> None:
        for session in self.rows.values():
            if session.operator_id == operator_id and session.ended_at is None:
                session.ended_at = now


class FakeConsole:
    """The console's reads over the store's users and committed events."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def search_users(self, query: UserQuery, offset: int, limit: int) -> list[User]:
        users = self.store.users.rows.values()
        if query.empty:
            return sorted(users, key=lambda u: -(u.id or 0))[offset : offset + limit]
        found = [u for u in users if u.id == query.user_id]  # the id, then mobiles in order, then nicknames
        found += [u for u in users if u.mobile == query.mobile]
        if query.mobile_prefix is not None:
            found += sorted((u for u in users if u.mobile.startswith(query.mobile_prefix)), key=lambda u: u.mobile)
        if query.nickname_prefix is not None:
            found += sorted(
                (u for u in users if u.nickname.startswith(query.nickname_prefix)), key=lambda u: (u.nickname, u.id)
            )
        return list(dict.fromkeys(found))[offset : offset + limit]

    def events(self, where: EventFilter, offset: int, limit: int) -> list[AuditEvent]:
        def matches(e: AuditEvent) -> bool:
            return (
                (not where.types or e.type in where.types)
                and where.mobile in (None, e.mobile)
                and where.user_id in (None, e.user_id)
                and where.ip in (None, e.client.ip)
                and (where.since is None or e.occurred_at >= where.since)
                and (where.until is None or e.occurred_at < where.until)
            )

        newest_first = list(reversed(self.store.events))  # appended in commit order
        found = sorted((e for e in newest_first if matches(e)), key=lambda e: e.occurred_at, reverse=True)
        return found[offset : offset + limit]

    def count_by_day(self, boundaries, types):
        counts: dict = {}
        for e in self.store.events:
            if e.type not in types or not boundaries[0] <= e.occurred_at < boundaries[-1]:
                continue
            index = next(i for i, end in enumerate(boundaries[1:]) if e.occurred_at < end)
            method = e.detail.get("method") if e.type == EventType.LOGIN_SUCCEEDED else None
            counts[index, str(e.type), method] = counts.get((index, str(e.type), method), 0) + 1
        return counts

    def stored_day_counts(self, first, last):
        return {key: n for key, n in self.store.day_counts.items() if first <= key[0] <= last}

    def store_day_counts(self, counts) -> None:
        if set(counts) & set(self.store.day_counts):
            raise errors.Conflict()
        self.store.day_counts.update(counts)

    def delivery_receipts(self, message_ids, since):
        receipts = [
            e
            for e in self.store.events
            if e.type in SMS_RECEIPTS and e.occurred_at >= since and e.detail.get("message_id") in message_ids
        ]
        return {e.detail["message_id"]: e for e in receipts}

    def refusal_reasons(self, event_type, since):
        counts: dict[str, int] = {}
        for e in self.store.events:
            if e.type == event_type and e.occurred_at >= since:
                counts[e.detail.get("reason", "unknown")] = counts.get(e.detail.get("reason", "unknown"), 0) + 1
        return sorted(counts.items(), key=lambda item: -item[1])


# --- unit of work -----------------------------------------------------------------------------


class FakeStore:
    """The "database": repositories plus the committed audit log."""

    def __init__(self) -> None:
        self.users = FakeUsers()
        self.sms = FakeSmsChallenges()
        self.captchas = FakeCaptchaChallenges()
        self.sessions = FakeSessions()
        self.operators = FakeOperators()
        self.operator_sessions = FakeOperatorSessions()
        self.day_counts: dict = {}
        self.events: list[AuditEvent] = []
        self.commits = 0
        self.fail_next_commit: Exception | None = None  # raised (once) by the next commit
        self.consents = FakeConsents()
        self.pages_read = 0  # audit pages read (the data copy reads its events a page at a time)
        self.open_transactions = 0  # units of work entered and not yet left

    def snapshot(self):
        return (
            self.users.snapshot(),
            self.sms.snapshot(),
            self.captchas.snapshot(),
            self.sessions.snapshot(),
            self.consents.snapshot(),
            list(self.events),
            self.operators.snapshot(),
            self.operator_sessions.snapshot(),
            dict(self.day_counts),
        )

    def restore(self, state) -> None:
        users, sms, captchas, sessions, consents, events, operators, operator_sessions, day_counts = state
        self.users.restore(users)
        self.sms.restore(sms)
        self.captchas.restore(captchas)
        self.sessions.restore(sessions)
        self.consents.restore(consents)
        self.events[:] = events  # only the erasure rewrites committed events; a rollback undoes that too
        self.operators.restore(operators)
        self.operator_sessions.restore(operator_sessions)
        self.day_counts = day_counts

    def events_of(self, event_type: EventType) -> list[AuditEvent]:
        return [e for e in self.events if e.type == event_type]


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.users, self.sms, self.captchas, self.sessions = store.users, store.sms, store.captchas, store.sessions
        self.consents = store.consents
        self.audit = FakeAuditLog(store)
        self.operators, self.operator_sessions = store.operators, store.operator_sessions
        self.console = FakeConsole(store)
        self.pending: list[AuditEvent] = []
        self.committed = False

    def __enter__(self) -> Self:
        self._snapshot = self.store.snapshot()
        self.store.open_transactions += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.store.open_transactions -= 1
        # The use cases never write after committing, so "not committed" is the only rollback case.
        if not self.committed:
            self.store.restore(self._snapshot)
        self.pending.clear()

    def record(self, event: AuditEvent) -> None:
        self.pending.append(event)

    def commit(self) -> None:
        if self.store.fail_next_commit is not None:
            error, self.store.fail_next_commit = self.store.fail_next_commit, None
            raise error
        self.store.events.extend(self.pending)
        self.pending.clear()
        self.store.commits += 1
        self.committed = True


# --- other ports ------------------------------------------------------------------------------


class FakeSmsSender:
    """Records what it sent; `fail` makes it raise (an exception instance, or any true value for a RuntimeError);
    `during_send` is called inside each send, for tests that look at the world at that moment."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail: Exception | bool = False
        self.during_send = None
        self.notices: list[tuple[str, str]] = []
        self.fail_notice: Exception | None = None

    def send_code(self, mobile: str, code: str, purpose: str) -> SentSms:
        if self.during_send is not None:
            self.during_send()
        if self.fail:
            raise self.fail if isinstance(self.fail, Exception) else RuntimeError("sms provider down")
        self.sent.append((mobile, code, purpose))
        return SentSms(provider="fake", message_id=f"fake-{len(self.sent)}")

    def send_notice(self, mobile: str, notice: str) -> SentSms:
        """Notices go to `notices`, apart from the codes; `fail_notice` fails them alone."""
        if self.fail_notice:
            raise self.fail_notice
        self.notices.append((mobile, notice))
        return SentSms(provider="fake", message_id=f"fake-notice-{len(self.notices)}")


class FakeCaptchaRenderer:
    def __init__(self) -> None:
        self.last_text: str | None = None

    def render(self, text: str) -> bytes:
        self.last_text = text
        return b"PNG:" + text.encode()


class FakeHasher:
    """hash = "<scheme>:<password>"; verify ignores the scheme so that old hashes still verify."""

    def __init__(self, scheme: str = "hashed", rehash: bool = False) -> None:
        self.scheme = scheme
        self.rehash = rehash  # what needs_rehash answers
        self.verify_calls: list[tuple[str, str]] = []
        self.hashed: list[str] = []  # passwords hashed after construction, in order

    def hash(self, password: str) -> str:
        self.hashed.append(password)
        return f"{self.scheme}:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verify_calls.append((password_hash, password))
        return password_hash.partition(":")[2] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return self.rehash


class FakeTotp:
    """Secrets are "sealed:<name>"; the code of time step n is n's last six digits (totp_code below)."""

    def __init__(self) -> None:
        self.made = 0

    def new_secret(self) -> str:
        self.made += 1
        return f"sealed:secret-{self.made}"

    def provisioning_uri(self, sealed_secret: str, account: str) -> str:
        return f"otpauth://totp/{account}?secret={sealed_secret.removeprefix('sealed:')}"

    def manual_key(self, sealed_secret: str) -> str:
        return sealed_secret.removeprefix("sealed:")

    def matching_step(self, sealed_secret: str, code: str, now: datetime) -> int | None:
        step = totp_step(now)
        return next((s for s in (step - 1, step, step + 1) if totp_code_at(s) == code), None)


def totp_step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def totp_code_at(step: int) -> str:
    return f"{step % 1_000_000:06d}"


def totp_code(now: datetime | None = None, steps_ahead: int = 0) -> str:
    return totp_code_at(totp_step(now or datetime.now(UTC)) + steps_ahead)


class UtcClock:
    """The real clock, so that freezegun's freeze_time controls it."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeCodes:
    """Hands out queued codes, then fixed defaults (tokens: numbered, never the same twice); remembers what was
    asked for."""

    def __init__(self, digits=(), texts=(), tokens=()) -> None:
        self.digit_queue, self.text_queue, self.token_queue = deque(digits), deque(texts), deque(tokens)
        self.tokens_made = 0
        self.calls: list[tuple] = []

    def digits(self, length: int) -> str:
        self.calls.append(("digits", length))
        return self.digit_queue.popleft() if self.digit_queue else "123456"

    def text(self, alphabet: str, length: int) -> str:
        self.calls.append(("text", alphabet, length))
        return self.text_queue.popleft() if self.text_queue else "ABCD"

    def token(self, nbytes: int) -> str:
        self.calls.append(("token", nbytes))
        self.tokens_made += 1
        return self.token_queue.popleft() if self.token_queue else f"token-{self.tokens_made}-of-{nbytes}-bytes"


class DatabaseDown(Exception):
    """What a commit raises when the database goes away: production lets the driver's OperationalError through
    the use case (the web layer answers 503 service_unavailable); the domain neither catches nor wraps it."""
