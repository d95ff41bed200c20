"""Users and the two kinds of challenge, with the checks on what people type."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from domain import errors
from domain.rules import Rules

MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits only: \d would admit full-width ones


def normalize_mobile(raw: str) -> str:
    mobile = raw.strip()
    if not MOBILE_PATTERN.fullmatch(mobile):
        raise errors.InvalidMobile()
    return mobile


def mask_mobile(mobile: str) -> str:
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 7 else "****"


def _has_invisible(text: str) -> bool:
    # Categories C*: controls (NUL, newlines), format marks (RTL overrides, zero-width joiners),
    # surrogates, private use and unassigned code points: none belongs in a name people read.
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def normalize_nickname(raw: str, rules: Rules) -> str:
    nickname = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(nickname) <= rules.nickname_max or _has_invisible(nickname):
        raise errors.InvalidNickname()
    return nickname


def normalize_password(raw: str) -> str:
    """NFKC so that the same password typed on another keyboard or IME still matches (NIST 800-63B)."""
    return unicodedata.normalize("NFKC", raw)


def check_new_password(raw: str, confirmation: str, rules: Rules) -> str:
    password = normalize_password(raw)
    if not rules.password_min <= len(password) <= rules.password_max or any(
        unicodedata.category(ch) == "Cc" for ch in password
    ):
        raise errors.InvalidPassword()
    if password != normalize_password(confirmation):
        raise errors.PasswordMismatch()
    if password.lower() in rules.common_passwords:
        raise errors.WeakPassword()
    return password


def digest(key: bytes, *parts: str) -> str:
    """Keyed hash of a short secret: a plain hash of six digits is reversed by trying all of them."""
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


@dataclass(eq=False)
class User:
    mobile: str
    nickname: str
    password_hash: str
    created_at: datetime
    id: int | None = None
    failed_logins: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    session_epoch: int = 0

    def lock_remaining(self, now: datetime) -> int:
        """Seconds the account stays locked, 0 when it is not."""
        if self.locked_until is None or now >= self.locked_until:
            return 0
        return max(1, int((self.locked_until - now).total_seconds()))

    def start_login_attempt(self, now: datetime, rules: Rules) -> bool:
        """Count the try before the password is compared, so racing tries cannot outrun the limit.

        The last allowed try arms the lock (and True says this is it); a correct password clears it again.
        """
        if remaining := self.lock_remaining(now):
            raise errors.AccountLocked(lock_message(remaining), retry_after=remaining)
        # The count restarts after a served lock, or after a quiet window with no failure (never weaker
        # than a sliding window).
        quiet = self.last_failure_at is None or now - self.last_failure_at > rules.login_failure_window
        if quiet or self.locked_until is not None:
            self.failed_logins, self.locked_until = 0, None
        self.failed_logins += 1
        self.last_failure_at = now
        if self.failed_logins >= rules.login_max_failures:
            self.locked_until = now + rules.lock_duration
            return True
        return False

    def login_succeeded(self) -> None:
        self.failed_logins, self.last_failure_at, self.locked_until = 0, None, None

    def set_password(self, password_hash: str) -> None:
        """A new password ends every session issued before it, and lifts a lock."""
        self.password_hash = password_hash
        self.end_all_sessions()
        self.login_succeeded()

    def end_all_sessions(self) -> None:
        self.session_epoch += 1


def lock_message(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"密码错误次数过多，账户已锁定，请 {minutes} 分钟后再试"


class SmsStatus:
    SENDING = "sending"  # stored, the provider not yet answered: counts against the limits, the code works
    SENT = "sent"
    FAILED = "failed"  # counts against no limit
    UNCONFIRMED = "unconfirmed"  # left "sending" by a process that died: settled by `accounts purge`


@dataclass(frozen=True)
class SentSms:
    """What a provider answered for an accepted message."""

    provider: str | None  # None only from a sender that names none (test doubles)
    message_id: str | None = None


@dataclass(eq=False)
class SmsChallenge:
    """A code sent to a mobile for one purpose. Only its keyed digest is kept."""

    mobile: str
    purpose: str
    code_digest: str
    created_at: datetime
    expires_at: datetime
    client_ip: str | None = None
    attempts: int = 0
    spent: bool = False  # used, replaced, or out of tries
    id: int | None = None
    # The send, in two short transactions around the provider call (README "Sending an SMS"):
    status: str = SmsStatus.SENT  # SmsStatus: sending, then sent or failed (or unconfirmed after a crash)
    provider: str | None = None
    message_id: str | None = None  # the provider's id for the message (Aliyun BizId, Tencent SerialNo)
    delivery: str | None = None  # "delivered" or "failed", from the provider's receipt

    def send_succeeded(self, sent: SentSms) -> None:
        self.status, self.provider, self.message_id = SmsStatus.SENT, sent.provider, sent.message_id

    def send_failed(self, provider: str | None) -> None:
        """Nothing reached the phone: the code is dead and, not being sent, counts against no limit."""
        self.status, self.provider, self.spent = SmsStatus.FAILED, provider, True

    def send_unconfirmed(self) -> None:
        """The process died mid-send: the outcome is unknown, the code (expired by now) counted as sent."""
        self.status = SmsStatus.UNCONFIRMED

    def record_delivery(self, delivered: bool) -> bool:
        """The provider's receipt; False when one was recorded already (providers repeat them)."""
        if self.delivery is not None:
            return False
        self.delivery = "delivered" if delivered else "failed"
        return True

    def try_code(self, code: str, now: datetime, rules: Rules) -> bool:
        """One try: counted first, compared in constant time; right or not, a dead code stays dead."""
        if self.spent or now >= self.expires_at or self.attempts >= rules.sms_max_attempts:
            return False
        self.attempts += 1
        expected = digest(rules.code_key, self.purpose, self.mobile, code.strip())
        if hmac.compare_digest(expected, self.code_digest):
            self.spent = True
            return True
        if self.attempts >= rules.sms_max_attempts:
            self.spent = True
        return False


@dataclass(eq=False)
class CaptchaChallenge:
    id: str  # the client's uuid, canonical form
    answer_digest: str
    expires_at: datetime

    def matches(self, answer: str, now: datetime, rules: Rules) -> bool:
        given = digest(rules.code_key, "captcha", self.id, answer.strip().upper())
        return now < self.expires_at and hmac.compare_digest(given, self.answer_digest)
