"""The numbers behind the rules, in one place; the composition root fills it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: characters a person confuses on a noisy image.
CAPTCHA_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


@dataclass(frozen=True)
class Rules:
    code_key: bytes  # HMAC key for stored SMS codes and captcha answers: the app secret
    sms_code_length: int = 6
    sms_code_ttl: timedelta = timedelta(minutes=5)
    sms_max_attempts: int = 5
    sms_cooldown: timedelta = timedelta(seconds=60)
    sms_cap_window: timedelta = timedelta(hours=24)
    sms_per_mobile_cap: int = 10
    sms_per_ip_cap: int = 30
    # Sends to one mobile from one client address: below the mobile's cap, so that someone who knows the number
    # cannot spend its owner's whole allowance from one address (the owner, elsewhere, still gets a code).
    sms_per_mobile_per_ip_cap: int = 5
    captcha_length: int = 4
    captcha_alphabet: str = CAPTCHA_ALPHABET
    captcha_ttl: timedelta = timedelta(minutes=3)
    nickname_max: int = 32
    password_min: int = 8
    password_max: int = 128
    common_passwords: frozenset[str] = field(default_factory=frozenset)
    login_max_failures: int = 5
    login_failure_window: timedelta = timedelta(minutes=15)
    lock_duration: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(days=30)  # the longest a session lives (记住我)
    security_log_size: int = 20
