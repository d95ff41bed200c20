"""The numbers behind the rules, in one place; the composition root fills it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: characters a person confuses on a noisy image.
CAPTCHA_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"

# The versions of 《用户协议》 and 《隐私政策》 the pages show today; a sign-up records them. A new text gets a new
# version here, in the same commit as its template.
TERMS_VERSION = "2026-11-25"
PRIVACY_VERSION = "2026-12-07"


@dataclass(frozen=True)
class Rules:
    # Not the app's secret: a key derived from SECRET_KEY for this one job (entrypoints/bootstrap.py::make_rules,
    # label "sms-and-captcha-codes"). It keys the HMAC digests stored for SMS codes, captcha answers and session
    # ids, so rotating SECRET_KEY voids every pending code and signs every browser out.
    code_key: bytes
    sms_code_length: int = 6
    sms_code_ttl: timedelta = timedelta(minutes=5)
    # Tries on one code: per client address (IPv4, or IPv6 /64) and overall. A client out of tries is refused
    # without killing the code for others; the overall limit kills it (and bounds guessing at 20 in a million).
    sms_max_attempts: int = 20
    sms_max_attempts_per_client: int = 5
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
    default_nickname_prefix: str = (
        "user"  # + last four digits, for accounts made by SMS sign-in; words set by the entrypoint
    )
    password_min: int = 8
    password_max: int = 128
    common_passwords: frozenset[str] = field(default_factory=frozenset)
    login_max_failures: int = 5
    login_failure_window: timedelta = timedelta(minutes=15)
    lock_duration: timedelta = timedelta(minutes=15)
    # Sessions (docs/sessions.md): absolute lifetimes from sign-in, whatever the cookie says.
    remembered_session_lifetime: timedelta = timedelta(days=30)  # 记住我
    browser_session_lifetime: timedelta = timedelta(hours=12)  # without 记住我 (OWASP ASVS 4.0.3 V3.3.2, level 2)
    browser_session_idle_timeout: timedelta = timedelta(minutes=30)  # without 记住我, ASVS level 2 as well
    session_touch_interval: timedelta = timedelta(minutes=5)  # last activity is written at most this often
    ended_session_retention: timedelta = timedelta(days=30)  # ended or expired records are purged after this
    security_log_size: int = 20
    deletion_cool_off: timedelta = timedelta(days=15)  # 注销 takes effect after this; signing in before cancels it
    export_page_size: int = 500  # audit events read per query when a data copy is generated
    audit_retention: timedelta = timedelta(days=180)  # `accounts purge` default; the privacy policy quotes it
    # An internal service checks a key on every page view: its use is recorded once per key in this interval.
    api_key_use_record_interval: timedelta = timedelta(minutes=1)
    terms_version: str = TERMS_VERSION
    privacy_version: str = PRIVACY_VERSION
    # The operator console (管理后台): sessions end 8 hours after sign-in or 30 minutes after the last request.
    operator_session_lifetime: timedelta = timedelta(hours=8)
    operator_idle_timeout: timedelta = timedelta(minutes=30)
    operator_setup_link_ttl: timedelta = timedelta(hours=24)
    operator_recovery_codes: int = 10
    console_page_size: int = 20
    console_export_limit: int = 50_000  # rows in one CSV export
    # 换绑 codes one signed-in account may ask for in `sms_cap_window`, whatever the mobiles: the answer tells whether
    # a mobile has an account (mobile_in_use), so each ask costs a captcha and counts here, refused or not.
    change_mobile_codes_per_account: int = 10
    # Nicknames people would take for the service's own: refused whole or in part, and in look-alike spellings
    # (domain/model.py::nickname_skeleton). These are the Latin ones; the composition root adds the catalogue's
    # words (entrypoints/messages.py::RESERVED_NICKNAME_WORDS), which the domain does not hold.
    reserved_nicknames: frozenset[str] = frozenset(
        {"admin", "administrator", "root", "system", "sysadmin", "official", "support", "staff", "moderator", "service"}
    )
    # 下载我的数据: the account's 注册 and 换绑 events read to learn when it held which number (newest first; past
    # this many, the oldest periods' events naming no account are left out of the copy rather than guessed).
    data_copy_mobile_history: int = 1000
    # 下载我的数据 is expensive (a long history is megabytes of JSON): at most this many copies per account in
    # this window, counted by its `data.exported` events under the account's row lock.
    data_copies_per_window: int = 3
    data_copy_window: timedelta = timedelta(hours=1)
    # Console pages read per operator (the CSV too): a person reads far fewer; a script harvesting users stops.
    console_reads_per_minute: int = 30
    console_reads_per_hour: int = 600
    # 申诉: the reason an operator gives for changing a user's mobile (what was verified, the ticket): characters.
    operator_reason_max: int = 200
