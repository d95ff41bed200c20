"""Users and the two kinds of challenge, with the checks on what people type."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

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


# Letters that pass for Latin ones (Unicode TR39 confusables, the Cyrillic and Greek part people can type), and the
# Latin letters and digits that pass for each other: both sides of a comparison are mapped, so "аdmin" (Cyrillic а),
# "adm1n" and "ADMIN" all meet "admin". Full-width and other compatibility forms are NFKC's job, before this.
_LOOK_ALIKES = str.maketrans(
    {
        **dict.fromkeys("аα", "a"),
        **dict.fromkeys("вβ", "b"),
        **dict.fromkeys("сϲ", "c"),
        **dict.fromkeys("ԁ", "d"),
        **dict.fromkeys("еεё", "e"),
        **dict.fromkeys("һ", "h"),
        **dict.fromkeys("ιіїı1|", "l"),
        "i": "l",
        **dict.fromkeys("ј", "j"),
        **dict.fromkeys("кκ", "k"),
        **dict.fromkeys("м", "m"),
        **dict.fromkeys("пη", "n"),
        **dict.fromkeys("оοσ0", "o"),
        **dict.fromkeys("рρ", "p"),
        **dict.fromkeys("ѕ5", "s"),
        **dict.fromkeys("тτ", "t"),
        **dict.fromkeys("υ", "u"),
        **dict.fromkeys("ν", "v"),
        **dict.fromkeys("ԝω", "w"),
        **dict.fromkeys("хχ", "x"),
        **dict.fromkeys("уγ", "y"),
    }
)
# Capitals first, before case folding turns them into small letters that look like something else (Greek Ν is N,
# its ν is v; Cyrillic Н is H, its н is not h).
_CAPITAL_LOOK_ALIKES = str.maketrans(
    dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧАВЕКМНОРСТХЅІЈУ", "abezhlkmnoptyxabekmhopctxsljy", strict=True))
)
_SEPARATORS = re.compile(r"[\W_]+")  # spaces, punctuation, symbols: "a.d.m.i.n" is "admin"


def nickname_skeleton(text: str) -> str:
    """What a name looks like, for comparing: NFKC (full-width ＡＤＭＩＮ is ADMIN), case folded, look-alike letters
    mapped to one Latin letter, separators dropped. Never stored or shown: the nickname keeps its spelling."""
    capitals_read = unicodedata.normalize("NFKC", text).translate(_CAPITAL_LOOK_ALIKES)
    return _SEPARATORS.sub("", capitals_read.casefold().translate(_LOOK_ALIKES))


def is_reserved_nickname(nickname: str, rules: Rules) -> bool:
    """A reserved word anywhere in a Chinese name (官方客服 holds 客服); a Latin one as a whole word, digits around
    it aside (admin, Admin_01, admin123, a.d.m.i.n, but not badminton)."""
    whole = nickname_skeleton(nickname)
    words = _SEPARATORS.split(unicodedata.normalize("NFKC", nickname).casefold())
    latin = {whole, nickname_skeleton(whole.strip("0123456789"))}
    latin |= {nickname_skeleton(w) for word in words for w in (word, word.strip("0123456789"))}
    for word in rules.reserved_nicknames:
        reserved = nickname_skeleton(word)
        if reserved and (reserved in latin if reserved.isascii() else reserved in whole):
            return True
    return False


def normalize_nickname(raw: str, rules: Rules) -> str:
    nickname = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(nickname) <= rules.nickname_max or _has_invisible(nickname):
        raise errors.InvalidNickname(max=rules.nickname_max)
    if is_reserved_nickname(nickname, rules):
        raise errors.NicknameReserved()
    return nickname


def normalize_password(raw: str) -> str:
    """NFKC so that the same password typed on another keyboard or IME still matches (NIST 800-63B)."""
    return unicodedata.normalize("NFKC", raw)


def check_new_password(raw: str, confirmation: str, rules: Rules) -> str:
    password = normalize_password(raw)
    if not rules.password_min <= len(password) <= rules.password_max or any(
        unicodedata.category(ch) == "Cc" for ch in password
    ):
        raise errors.InvalidPassword(min=rules.password_min, max=rules.password_max)
    if password != normalize_password(confirmation):
        raise errors.PasswordMismatch()
    if password.lower() in rules.common_passwords:
        raise errors.WeakPassword()
    return password


def digest(key: bytes, *parts: str) -> str:
    """Keyed hash of a short secret: a plain hash of six digits is reversed by trying all of them."""
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def pseudonymize_mobile(key: bytes, mobile: str) -> str:
    """What an erased account's mobile becomes in the audit log: the same number always gives the same
    pseudonym (investigations can still follow it), and without the key no one can tell which number it was.

    "x" and 10 base32 characters (50 bits of an HMAC-SHA256): fits the 11-character column and never looks
    like a mobile. Whoever holds the key can still test a given number; that is the point of keeping the key.
    """
    mac = hmac.new(key, mobile.encode(), hashlib.sha256).digest()
    return "x" + base64.b32encode(mac).decode().lower()[:10]


@dataclass(frozen=True)
class HeldNumber:
    """A mobile an erased account held (from its `user.registered` and `mobile.changed` events, and its current
    one), and who holds it now. Its mentions become pseudonyms in every event, the account's own and every other,
    except those that are the next holder's: the events tied to the live account that took the number, and any
    event from the moment it took it (`taken_at`) on."""

    number: str
    taken_by: int | None = None
    taken_at: datetime | None = None

    def covers(self, user_id: int | None, occurred_at: datetime) -> bool:
        """Whether an event (not the erased account's own) tied to `user_id` at `occurred_at` is the erased
        account's business as far as this number goes."""
        if self.taken_by is None:
            return True
        return user_id != self.taken_by and (self.taken_at is None or occurred_at < self.taken_at)


def pseudonymize_mentions(value: Any, pseudonyms: dict[str, str]) -> Any:
    """`value` (an event's detail) with every mention of a number in `pseudonyms` replaced by its pseudonym, at
    any depth: whole values, numbers inside text (between non-digits only: a longer digit string such as a
    provider's message id is another thing), dictionary keys, and a number stored as an integer."""
    if isinstance(value, str):
        for number, pseudonym in pseudonyms.items():
            if number in value:
                value = re.sub(rf"(?<![0-9]){number}(?![0-9])", pseudonym, value)
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return pseudonyms.get(str(value), value)
    if isinstance(value, dict):
        return {pseudonymize_mentions(k, pseudonyms): pseudonymize_mentions(v, pseudonyms) for k, v in value.items()}
    if isinstance(value, list):
        return [pseudonymize_mentions(item, pseudonyms) for item in value]
    return value


class Lockable(Protocol):
    """The lockout state users and operators share (domain.console.Operator borrows User's methods on it)."""

    failed_logins: int
    last_failure_at: datetime | None
    locked_until: datetime | None

    def lock_remaining(self, now: datetime) -> int: ...


@dataclass(eq=False)
class User:
    mobile: str
    nickname: str
    password_hash: str | None  # None: signed up by SMS code (验证码登录) and no password set yet
    created_at: datetime
    id: int | None = None
    failed_logins: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    deletion_due_at: datetime | None = None  # 注销 requested: erased at the first purge after this
    disabled_at: datetime | None = None  # set by an operator: no sign-in until enabled again

    def lock_remaining(self: Lockable, now: datetime) -> int:
        """Seconds the account stays locked, 0 when it is not."""
        if self.locked_until is None or now >= self.locked_until:
            return 0
        return max(1, int((self.locked_until - now).total_seconds()))

    def start_login_attempt(self: Lockable, now: datetime, rules: Rules) -> bool:
        """Count the try before the password is compared, so racing tries cannot outrun the limit.

        The last allowed try arms the lock (and True says this is it); a correct password clears it again.
        """
        if remaining := self.lock_remaining(now):
            raise errors.AccountLocked.for_seconds(remaining)
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

    def login_succeeded(self: Lockable) -> None:
        self.failed_logins, self.last_failure_at, self.locked_until = 0, None, None

    def set_password(self, password_hash: str) -> None:
        """A new password lifts a lock. The use case ends the sessions (uow.sessions.end_all)."""
        self.password_hash = password_hash
        self.login_succeeded()

    def change_mobile(self, mobile: str) -> str:
        """换绑手机号 (the use case has proven both numbers and ends the other sessions). Returns the old one."""
        old, self.mobile = self.mobile, mobile
        return old

    def request_deletion(self, now: datetime, rules: Rules) -> bool:
        """Start the cool-off (the use case ends every session). False when one already runs: its date stands."""
        if self.deletion_due_at is not None:
            return False
        self.deletion_due_at = now + rules.deletion_cool_off
        return True

    def cancel_deletion(self) -> bool:
        """The owner is back (signed in) before the erasure: the account stays. True if one was pending."""
        pending, self.deletion_due_at = self.deletion_due_at is not None, None
        return pending


def default_nickname(mobile: str, prefix: str) -> str:
    """The nickname of an account made by SMS sign-in, before its owner chooses one: a prefix (the rules'
    `default_nickname_prefix`, words from the entrypoint) and the last four digits."""
    return prefix + mobile[-4:]


def client_key(ip: str | None) -> str:
    """Whose tries a count belongs to: the IPv4 address, or the IPv6 /64 (one subscriber gets a whole /64,
    so counting single IPv6 addresses would give an attacker endless fresh ones)."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is the IPv4 client it names
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


class SmsPurpose(StrEnum):
    """What an SMS code is for: the provider's template is chosen by it, the code is stored and checked under it
    (see stored_purpose), and events carry it as detail.purpose."""

    REGISTER = "register"  # to a mobile no account has
    RESET_PASSWORD = "reset_password"  # to a registered mobile
    LOGIN = "login"  # 验证码登录: to any valid mobile, registered or not, with the same answer (it signs up too)
    # Sent for a signed-in account (SmsCodeRequest.user_id): 换绑手机号 (to the new mobile, or to the current one
    # as an account without a password proves itself), 注销 (to the account's own mobile).
    CHANGE_MOBILE = "change_mobile"
    DELETE_ACCOUNT = "delete_account"

    @property
    def for_account(self) -> bool:
        return self in (SmsPurpose.CHANGE_MOBILE, SmsPurpose.DELETE_ACCOUNT)

    def stored_purpose(self, user_id: int | None) -> str:
        """The purpose a code is stored and checked under. A 换绑 code is bound to the account that asked for it
        (`change_mobile:<user id>`): another account asking for a code to the same new mobile neither replaces it
        nor can use it."""
        return f"{self.value}:{user_id}" if self is SmsPurpose.CHANGE_MOBILE else self.value


class SmsNotice(StrEnum):
    """A message that carries no code: its own provider template each (entrypoints/sms_settings.py), no parameters."""

    MOBILE_CHANGED = "mobile_changed_notice"  # to the number an account just left: 换绑 happened, appeal if not you


class SmsStatus(StrEnum):
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
    purpose: str  # SmsPurpose.stored_purpose: the purpose's value, bound to an account for change_mobile
    code_digest: str
    created_at: datetime
    expires_at: datetime
    client_ip: str | None = None
    attempts: int = 0
    spent: bool = False  # used, replaced, or out of tries
    id: int | None = None
    tries_by_client: dict[str, int] | None = None  # client_key -> tries; None until the first
    # The send, in two short transactions around the provider call (docs/sms-providers.md, "The send path"):
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

    def try_code(self, code: str, now: datetime, rules: Rules, client_ip: str | None) -> bool:
        """One try, counted overall and for this client before comparing, compared in constant time.

        A client out of tries is refused but the code lives on for others, so one address cannot kill the
        owner's code; the overall limit does kill it. A right code is not spent here: the use case spends it
        in the transaction that makes the change it proves (see flows/sms_proof.py).
        """
        client = client_key(client_ip)
        tries = (self.tries_by_client or {}).get(client, 0)
        if self.spent or now >= self.expires_at or self.attempts >= rules.sms_max_attempts:
            return False
        if tries >= rules.sms_max_attempts_per_client:
            return False
        self.attempts += 1
        self.tries_by_client = {**(self.tries_by_client or {}), client: tries + 1}  # a new dict: the ORM sees it
        expected = digest(rules.code_key, self.purpose, self.mobile, code.strip())
        if hmac.compare_digest(expected, self.code_digest):
            return True
        if self.attempts >= rules.sms_max_attempts:
            self.spent = True
        return False


def canonical_captcha_id(raw: str) -> str:
    """The client's uuid in one spelling; anything else is refused."""
    try:
        return str(uuid.UUID(raw.strip()))
    except (ValueError, AttributeError):
        raise errors.InvalidInput("captcha_id", field="captcha") from None


@dataclass(eq=False)
class CaptchaChallenge:
    id: str  # the client's uuid, canonical form
    answer_digest: str
    expires_at: datetime

    def matches(self, answer: str, now: datetime, rules: Rules) -> bool:
        given = digest(rules.code_key, "captcha", self.id, answer.strip().upper())
        return now < self.expires_at and hmac.compare_digest(given, self.answer_digest)


class SessionEnd(StrEnum):
    """Why a session ended; stored with it."""

    LOGGED_OUT = "logged_out"  # 退出 in this browser
    REVOKED = "revoked"  # 下线 from another device of the same user
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    PASSWORD_CHANGED = "password_changed"  # the browser that changed it continues under a new id
    PASSWORD_RESET = "password_reset"
    DELETION_REQUESTED = "deletion_requested"  # 注销: every session ends with the request
    USER_DISABLED = "user_disabled"  # an operator disabled the account (管理后台)
    ENDED_BY_OPERATOR = "ended_by_operator"  # an operator ended every session of the account
    MOBILE_CHANGED = "mobile_changed"  # 换绑手机号: the browser that changed it continues under a new id


def session_digest(rules: Rules, token: str, *, operator: bool = False) -> str:
    """What the server keeps of a session's id, a user's or (operator=True) a console session's: the id itself is
    the cookie's secret and is never stored. The two kinds are keyed apart, so one is never taken for the other."""
    return digest(rules.code_key, "operator-session" if operator else "session", token)


@dataclass(eq=False)
class UserSession:
    """One sign-in of one browser: the server's record of it is the only judge of whether its cookie still works."""

    public_id: str  # names the session in the devices list and in revoke; not the cookie's secret
    token_digest: str
    user_id: int
    remember: bool  # 记住我 was ticked
    created_at: datetime  # signed in
    expires_at: datetime  # absolute, fixed at sign-in: no request moves it
    last_seen_at: datetime
    ip: str | None = None  # where it was last seen from
    user_agent: str | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None  # a SessionEnd
    id: int | None = None

    def is_active(self, now: datetime, rules: Rules) -> bool:
        if self.ended_at is not None or now >= self.expires_at:
            return False
        # Without 记住我 the session also ends after a quiet spell: the browser may be a shared one.
        return self.remember or now - self.last_seen_at < rules.browser_session_idle_timeout

    def needs_touch(self, now: datetime, rules: Rules) -> bool:
        """Last activity is written at most every few minutes, not on every request."""
        return now - self.last_seen_at >= rules.session_touch_interval

    def end(self, now: datetime, reason: SessionEnd) -> None:
        self.ended_at, self.end_reason = now, reason


@dataclass(frozen=True)
class Consent:
    """One document, in one version, accepted by the account's owner."""

    user_id: int
    document: str  # "terms" (《用户协议》) or "privacy" (《隐私政策》)
    version: str
    given_at: datetime
