"""In-memory fakes for the ports in domain/ports.py, and a builder wiring them into the use cases.

Follows "Architecture Patterns with Python": repositories over plain lists/dicts, a fake unit of work
sharing one FakeStore. A unit of work snapshots the store on enter and restores it on exit unless
it committed, so "rolled back" really means "nothing written". Restoring works in place: a test's
reference to a stored object stays valid across transactions.
"""

from __future__ import annotations

import copy
import uuid
from collections import deque
from datetime import datetime, timezone
from types import SimpleNamespace

from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.model import CaptchaChallenge, SentSms, SmsChallenge, SmsStatus, User
from domain.rules import Rules
from domain.use_cases.change_nickname import ChangeNickname
from domain.use_cases.change_password import ChangePassword
from domain.use_cases.issue_captcha import IssueCaptcha, IssueCaptchaCommand
from domain.use_cases.login import Credentials, Login
from domain.use_cases.logout import LoadSessionUser, Logout
from domain.use_cases.register_user import RegisterUser, Registration
from domain.use_cases.request_sms_code import RequestSmsCode, SmsCodeRequest
from domain.use_cases.reset_password import ResetPassword
from domain.use_cases.sign_out_everywhere import SignOutEverywhere
from domain.use_cases.view_profile import ViewProfile
from domain.use_cases.record_sms_receipts import RecordSmsReceipts
from domain.use_cases.settle_sms_sends import SettleInterruptedSends

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



class FakeUsers:
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

    def snapshot(self):
        return _snapshot(self.rows), self.next_id

    def restore(self, state) -> None:
        rows, self.next_id = state
        self.rows = _restore(rows)


class FakeSmsChallenges:
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

    def spend_all(self, mobile: str, purpose: str) -> None:
        for c in self.rows:
            if c.mobile == mobile and c.purpose == purpose and not c.spent:
                c.spent = True

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
            if c.mobile == mobile and c.purpose == purpose and not c.spent and c.id < than_id:
                c.spent = True

    def by_message_id_for_update(self, provider: str, message_id: str) -> SmsChallenge | None:
        return next((c for c in self.rows if c.provider == provider and c.message_id == message_id), None)

    def sending_since_before(self, before: datetime, limit: int) -> list[SmsChallenge]:
        return [c for c in self.rows if c.status == SmsStatus.SENDING and c.created_at < before][:limit]

    def snapshot(self):
        return _snapshot(self.rows), self.next_id

    def restore(self, state) -> None:
        rows, self.next_id = state
        self.rows = _restore(rows)


class FakeCaptchaChallenges:
    def __init__(self) -> None:
        self.rows: dict[str, CaptchaChallenge] = {}

    def put(self, challenge: CaptchaChallenge) -> None:
        self.rows[challenge.id] = challenge

    def take(self, captcha_id: str) -> CaptchaChallenge | None:
        return self.rows.pop(captcha_id, None)

    def snapshot(self):
        return _snapshot(self.rows)

    def restore(self, state) -> None:
        self.rows = _restore(state)


class FakeEndedSessions:
    def __init__(self) -> None:
        self.rows: dict[str, datetime] = {}

    def end(self, session_digest: str, until: datetime) -> None:
        self.rows.setdefault(session_digest, until)

    def is_ended(self, session_digest: str) -> bool:
        return session_digest in self.rows

    def snapshot(self):
        return dict(self.rows)

    def restore(self, state) -> None:
        self.rows = state


class FakeAuditLog:
    """Reads the store's committed events, as the SQL log reads its table."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def recent_for_user(self, user_id: int, types: tuple[str, ...], limit: int) -> list[AuditEvent]:
        mine = [e for e in self.store.events if e.user_id == user_id and e.type in types]
        return sorted(mine, key=lambda e: e.occurred_at, reverse=True)[:limit]


# --- unit of work -----------------------------------------------------------------------------


class FakeStore:
    """The "database": repositories plus the committed audit log."""

    def __init__(self) -> None:
        self.users = FakeUsers()
        self.sms = FakeSmsChallenges()
        self.captchas = FakeCaptchaChallenges()
        self.sessions = FakeEndedSessions()
        self.events: list[AuditEvent] = []
        self.commits = 0
        self.fail_next_commit: Exception | None = None  # raised (once) by the next commit
        self.open_transactions = 0  # units of work entered and not yet left

    def snapshot(self):
        return self.users.snapshot(), self.sms.snapshot(), self.captchas.snapshot(), self.sessions.snapshot()

    def restore(self, state) -> None:
        users, sms, captchas, sessions = state
        self.users.restore(users)
        self.sms.restore(sms)
        self.captchas.restore(captchas)
        self.sessions.restore(sessions)

    def events_of(self, event_type: EventType) -> list[AuditEvent]:
        return [e for e in self.events if e.type == event_type]


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.users, self.sms, self.captchas, self.sessions = store.users, store.sms, store.captchas, store.sessions
        self.audit = FakeAuditLog(store)
        self.pending: list[AuditEvent] = []
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
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

    def send_code(self, mobile: str, code: str, purpose: str) -> SentSms:
        if self.during_send is not None:
            self.during_send()
        if self.fail:
            raise self.fail if isinstance(self.fail, Exception) else RuntimeError("sms provider down")
        self.sent.append((mobile, code, purpose))
        return SentSms(provider="fake", message_id=f"fake-{len(self.sent)}")


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

    def hash(self, password: str) -> str:
        return f"{self.scheme}:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verify_calls.append((password_hash, password))
        return password_hash.partition(":")[2] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return self.rehash


class UtcClock:
    """The real clock, so that freezegun's freeze_time controls it."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeCodes:
    """Hands out queued codes, then fixed defaults; remembers what was asked for."""

    def __init__(self, digits=(), texts=()) -> None:
        self.digit_queue, self.text_queue = deque(digits), deque(texts)
        self.calls: list[tuple] = []

    def digits(self, length: int) -> str:
        self.calls.append(("digits", length))
        return self.digit_queue.popleft() if self.digit_queue else "123456"

    def text(self, alphabet: str, length: int) -> str:
        self.calls.append(("text", alphabet, length))
        return self.text_queue.popleft() if self.text_queue else "ABCD"


# --- wiring and helpers -----------------------------------------------------------------------

TEST_RULES = Rules(code_key=b"test-key", common_passwords=frozenset({"password123", "12345678"}))
CLIENT = ClientContext(ip="203.0.113.7", user_agent="pytest", request_id="req-1")
MOBILE = "13800138000"
PASSWORD = "correct horse"


def make_services(**overrides) -> SimpleNamespace:
    """All use cases built on fresh fakes; any part (store, uow, sender, renderer, hasher, clock,
    codes, rules) can be overridden by keyword."""
    store = overrides.pop("store", None) or FakeStore()
    parts = dict(
        store=store,
        uow=lambda: FakeUnitOfWork(store),
        sender=FakeSmsSender(),
        renderer=FakeCaptchaRenderer(),
        hasher=FakeHasher(),
        clock=UtcClock(),
        codes=FakeCodes(),
        rules=TEST_RULES,
    )
    if unknown := set(overrides) - set(parts):
        raise TypeError(f"unknown overrides: {sorted(unknown)}")
    parts.update(overrides)
    s = SimpleNamespace(**parts)
    s.request_sms_code = RequestSmsCode(s.uow, s.sender, s.clock, s.codes, s.rules)
    s.register_user = RegisterUser(s.uow, s.hasher, s.clock, s.rules)
    s.issue_captcha = IssueCaptcha(s.uow, s.renderer, s.clock, s.codes, s.rules)
    s.login = Login(s.uow, s.hasher, s.clock, s.rules)
    s.logout = Logout(s.uow, s.clock, s.rules)
    s.load_session_user = LoadSessionUser(s.uow, s.rules)
    s.reset_password = ResetPassword(s.uow, s.hasher, s.clock, s.rules)
    s.change_password = ChangePassword(s.uow, s.hasher, s.clock, s.rules)
    s.change_nickname = ChangeNickname(s.uow, s.clock, s.rules)
    s.sign_out_everywhere = SignOutEverywhere(s.uow, s.clock)
    s.view_profile = ViewProfile(s.uow, s.rules)
    s.record_sms_receipts = RecordSmsReceipts(s.uow, s.clock)
    s.settle_sms_sends = SettleInterruptedSends(s.uow, s.clock, s.rules)
    return s


def new_captcha(s, client: ClientContext = CLIENT) -> tuple[str, str]:
    """Issue a captcha under a fresh uuid; return (id, the text drawn on it)."""
    captcha_id = str(uuid.uuid4())
    s.issue_captcha(IssueCaptchaCommand(captcha_id, client))
    return captcha_id, s.renderer.last_text


def sms_request(s, mobile: str = MOBILE, *, client: ClientContext = CLIENT, purpose: str = "register",
                captcha: str | None = None) -> SmsCodeRequest:
    """A request carrying a freshly issued captcha, solved unless `captcha` gives another answer."""
    captcha_id, text = new_captcha(s, client)
    return SmsCodeRequest(mobile, captcha_id, text if captcha is None else captcha, client, purpose)


def request_code(s, mobile: str = MOBILE, **kwargs) -> str:
    """Request a code with a solved captcha; return the code the sender delivered."""
    s.request_sms_code(sms_request(s, mobile, **kwargs))
    return s.sender.sent[-1][1]


def registration(code: str, mobile: str = MOBILE, **fields) -> Registration:
    values = dict(nickname="Alice", mobile=mobile, code=code, password=PASSWORD, confirmation=None,
                  agreement=True, client=CLIENT)
    values.update(fields)
    if values["confirmation"] is None:
        values["confirmation"] = values["password"]
    return Registration(**values)


def add_user(s, mobile: str = MOBILE, password: str = PASSWORD, nickname: str = "Alice") -> User:
    """Put a user straight into the store (no events)."""
    user = User(mobile=mobile, nickname=nickname, password_hash=s.hasher.hash(password),
                created_at=datetime.now(timezone.utc))
    s.store.users.add(user)
    return user


def credentials(s, mobile: str = MOBILE, password: str = PASSWORD, *, client: ClientContext = CLIENT,
                captcha: str | None = None) -> Credentials:
    captcha_id, text = new_captcha(s, client)
    return Credentials(mobile, password, captcha_id, text if captcha is None else captcha, client)
