"""Pure model rules: input normalization, challenges and the login counter."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import errors
from domain.model import (
    CaptchaChallenge,
    HeldNumber,
    SmsChallenge,
    SmsPurpose,
    SmsStatus,
    User,
    canonical_captcha_id,
    check_new_password,
    client_key,
    digest,
    mask_mobile,
    nickname_skeleton,
    normalize_mobile,
    normalize_nickname,
    pseudonymize_mentions,
)
from tests.builders import TEST_RULES as RULES

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
KEY = RULES.code_key


# --- mobile -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["13800138000", " 13800138000 ", "\t13800138000\n", "\u300013800138000"])
def test_mobile_is_trimmed(raw):
    assert normalize_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["13012345678", "19999999999"])
def test_mobile_accepts_13x_to_19x(raw):
    assert normalize_mobile(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1380013800",
        "138001380000",
        "12800138000",
        "23800138000",
        "+8613800138000",
        "138 0013 8000",
        "1380013800a",
        "13800138000\u200b",
    ],
)
def test_mobile_format_is_refused(raw):
    with pytest.raises(errors.InvalidMobile) as exc:
        normalize_mobile(raw)
    assert (exc.value.slug, exc.value.field) == ("invalid_mobile", "mobile")


@pytest.mark.parametrize(
    "raw",
    [
        "13\uff18\uff10\uff10\uff11\uff13\uff18\uff10\uff10\uff10",  # full-width digits
        "13\u0668\u0660\u0660\u0661\u0663\u0668\u0660\u0660\u0660",  # Arabic-Indic digits
    ],
    ids=["fullwidth", "arabic-indic"],
)
def test_mobile_refuses_non_ascii_digits(raw):
    # Each such spelling would be a distinct "mobile" for the per-mobile cooldown, cap and uniqueness.
    with pytest.raises(errors.InvalidMobile):
        normalize_mobile(raw)


def test_mask_mobile():
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_mobile("1234567") == "123****4567"  # the shortest that keeps its ends
    assert mask_mobile("123456") == "****"
    assert mask_mobile("123") == "****"


# --- nickname and password --------------------------------------------------------------------


def test_nickname_is_trimmed_and_nfc_normalized():
    assert normalize_nickname("  Alice  ", RULES) == "Alice"
    assert normalize_nickname("Jose\u0301", RULES) == "Jos\u00e9"
    assert normalize_nickname(" " + "小" * 32 + " ", RULES) == "小" * 32


def test_a_refused_nickname_quotes_the_longest_allowed():
    with pytest.raises(errors.InvalidNickname) as exc:
        normalize_nickname("x" * 33, RULES)
    assert exc.value.facts == {"max": 32}


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "x" * 33,
        "a\x00b",
        "a\nb",
        "a\tb",
        "a\u200bb",
        "a\u202eb",
        "\u2066x",
        "a\ue000",
    ],
)
def test_nickname_refused(raw):
    with pytest.raises(errors.InvalidNickname) as exc:
        normalize_nickname(raw, RULES)
    assert exc.value.field == "nickname"


@pytest.mark.parametrize(
    "raw",
    [
        "官方客服",
        "客服小王",
        "系统 管理员",
        "admin",
        "аdmin",  # Cyrillic а
        "ＡＤＭＩＮ",  # full-width
        "ΑDMΙΝ",  # Greek capitals Α, Ι, Ν
        "Admin_01",
        "admin123",
        "adm1n",
        "a.d.m.i.n",
        "a-d-m-i-n-9",  # no word is "admin": only the whole name, its digits stripped, is
        "ЅUPPОRT",  # Cyrillic Ѕ and О
        "rооt",  # Cyrillic о twice
        "Official",
    ],
)
def test_a_reserved_nickname_is_refused_in_any_look_alike_spelling(raw):
    with pytest.raises(errors.NicknameReserved) as exc:
        normalize_nickname(raw, RULES)
    assert (exc.value.slug, exc.value.field) == ("nickname_reserved", "nickname")


@pytest.mark.parametrize("raw", ["badminton", "小明", "用户8000", "Alice", "Наташа", "Ivan", "supportive", "管 小 理"])
def test_names_that_only_contain_reserved_letters_are_kept(raw):
    assert normalize_nickname(raw, RULES) == raw


def test_pseudonymising_replaces_only_the_numbers_it_is_given():
    pseudonyms = {"13800138000": "xaaaaaaaaaa"}
    detail = {"n": 13800138000, "count": 2, "other": 13900139000, "flag": True, "text": "to 13800138000"}
    assert pseudonymize_mentions(detail, pseudonyms) == {
        "n": "xaaaaaaaaaa",
        "count": 2,  # other integers stay as they are
        "other": 13900139000,
        "flag": True,
        "text": "to xaaaaaaaaaa",
    }


def test_a_held_number_is_the_next_holders_from_the_moment_they_took_it():
    held = HeldNumber("13800138000", taken_by=2, taken_at=T0)
    assert held.covers(None, T0 - timedelta(microseconds=1))
    assert not held.covers(None, T0)  # the same instant is already the next holder's
    assert not held.covers(2, T0 - timedelta(days=1))  # their own events, whenever
    assert HeldNumber("13800138000").covers(2, T0)  # nobody took it: every event is the erased account's


def test_the_look_alike_skeleton_maps_both_sides():
    assert nickname_skeleton("ＡＤＭＩＮ") == nickname_skeleton("аdmin") == nickname_skeleton("adm1n")
    assert nickname_skeleton("Admin") != nickname_skeleton("Odmin")


@pytest.mark.parametrize("pw", ["a" * 8, "a" * 128, "pass word", "密码密码密码密码"])
def test_password_lengths_accepted(pw):
    assert check_new_password(pw, pw, RULES) == pw


@pytest.mark.parametrize("pw", ["a" * 7, "a" * 129, "abcd\x00efgh", "abcdefg\n"])
def test_password_refused(pw):
    with pytest.raises(errors.InvalidPassword):
        check_new_password(pw, pw, RULES)


def test_a_refused_password_quotes_the_lengths_allowed():
    with pytest.raises(errors.InvalidPassword) as exc:
        check_new_password("short", "short", RULES)
    assert (exc.value.key, exc.value.facts) == ("invalid_password", {"min": 8, "max": 128})


def test_password_is_nfkc_normalized():
    # Full-width letters typed on an IME are the same password as their ASCII forms.
    assert check_new_password("\uff41\uff42\uff43\uff44\uff45\uff46\uff47\uff48", "abcdefgh", RULES) == "abcdefgh"


def test_password_mismatch():
    with pytest.raises(errors.PasswordMismatch) as exc:
        check_new_password("abcdefgh", "abcdefgi", RULES)
    assert exc.value.field == "confirmPassword"


@pytest.mark.parametrize("pw", ["password123", "Password123", "\uff50assword123", "12345678"])
def test_common_password_refused(pw):
    with pytest.raises(errors.WeakPassword):
        check_new_password(pw, pw, RULES)


# --- digests and challenges -------------------------------------------------------------------


def test_digest_is_keyed_hmac_hex():
    assert digest(b"k1", "register", "13800138000", "123456") != digest(b"k2", "register", "13800138000", "123456")
    assert len(digest(KEY, "x")) == 64


def test_sms_purposes_and_statuses_are_stored_as_the_same_strings():
    assert [str(p) for p in SmsPurpose] == ["register", "reset_password", "login", "change_mobile", "delete_account"]
    assert [str(s) for s in SmsStatus] == ["sending", "sent", "failed", "unconfirmed"]
    assert [p for p in SmsPurpose if p.for_account] == [SmsPurpose.CHANGE_MOBILE, SmsPurpose.DELETE_ACCOUNT]


def test_a_change_mobile_code_is_stored_bound_to_the_account_that_asked_for_it():
    assert SmsPurpose.CHANGE_MOBILE.stored_purpose(7) == "change_mobile:7"
    assert SmsPurpose.DELETE_ACCOUNT.stored_purpose(7) == "delete_account"
    assert SmsPurpose.LOGIN.stored_purpose(None) == "login"
    assert type(SmsPurpose.REGISTER.stored_purpose(None)) is str  # the column's value, not the enum


def _sms(code="123456", purpose="register", mobile="13800138000"):
    return SmsChallenge(
        mobile=mobile,
        purpose=purpose,
        code_digest=digest(KEY, purpose, mobile, code),
        created_at=T0,
        expires_at=T0 + RULES.sms_code_ttl,
    )


OWNER, ATTACKER = "198.51.100.1", "203.0.113.9"


def test_sms_code_right_is_counted_but_left_for_the_use_case_to_spend():
    c = _sms()
    assert c.try_code(" 123456 ", T0, RULES, OWNER) is True
    assert (c.attempts, c.spent, c.tries_by_client) == (1, False, {OWNER: 1})


def test_five_wrong_tries_from_one_client_stop_that_client_but_not_the_owner():
    c = _sms()
    for i in range(1, 6):
        assert c.try_code("000000", T0, RULES, ATTACKER) is False
        assert (c.attempts, c.spent) == (i, False)
    assert c.try_code("123456", T0, RULES, ATTACKER) is False  # even the right code: this client is out of tries
    assert c.attempts == 5  # refused tries are not counted
    assert c.try_code("123456", T0, RULES, OWNER) is True  # the owner's code is alive


def test_twenty_wrong_tries_overall_kill_the_code():
    c = _sms()
    attackers = [f"203.0.113.{n}" for n in range(4)]
    for n in range(RULES.sms_max_attempts):
        assert c.try_code("000000", T0, RULES, attackers[n // 5]) is False
    assert c.spent and c.attempts == 20
    assert c.try_code("123456", T0, RULES, OWNER) is False
    assert c.attempts == 20  # dead codes do not count further tries


def test_a_right_code_on_the_last_overall_try_still_works():
    c = _sms()
    for n in range(RULES.sms_max_attempts - 1):
        c.try_code("000000", T0, RULES, f"203.0.113.{n // 5}")
    assert c.try_code("123456", T0, RULES, OWNER) is True


def test_a_code_is_dead_once_its_overall_tries_are_used_even_if_the_last_was_right():
    # The last allowed try was right but its change was never made (the use case refused for another reason):
    # the code gets no further try, right or wrong.
    c = _sms()
    c.attempts = RULES.sms_max_attempts
    assert c.try_code("123456", T0, RULES, OWNER) is False
    assert c.attempts == 20


def test_a_delivery_receipt_is_recorded_once():
    c = _sms()
    assert c.record_delivery(False) is True
    assert c.delivery == "failed"
    assert c.record_delivery(True) is False  # providers repeat receipts: the first one stands
    assert c.delivery == "failed"
    d = _sms()
    assert d.record_delivery(True) is True and d.delivery == "delivered"


def test_ipv6_clients_are_counted_per_64():
    c = _sms()
    for n in range(5):  # five addresses of one /64: one subscriber
        assert c.try_code("000000", T0, RULES, f"2001:db8:1:2::{n + 1}") is False
    assert c.try_code("123456", T0, RULES, "2001:db8:1:2:ffff::1") is False
    assert c.try_code("123456", T0, RULES, "2001:db8:1:3::1") is True


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        (None, "unknown"),
        ("not an ip", "unknown"),
    ],
)
def test_client_key(ip, key):
    assert client_key(ip) == key


def test_sms_code_expires_after_ttl_without_counting():
    c = _sms()
    assert c.try_code("123456", T0 + timedelta(minutes=5), RULES, OWNER) is False
    assert c.attempts == 0
    assert c.try_code("123456", T0 + timedelta(minutes=5) - timedelta(seconds=1), RULES, OWNER) is True


def test_sms_code_is_bound_to_purpose_and_mobile():
    assert _sms(purpose="reset_password").code_digest != _sms().code_digest
    assert _sms(mobile="13900139000").code_digest != _sms().code_digest


def test_captcha_matches_case_insensitively_until_expiry():
    cid = "6f1c1d2a-0000-4000-8000-000000000001"
    c = CaptchaChallenge(cid, digest(KEY, "captcha", cid, "ACDE"), T0 + RULES.captcha_ttl)
    assert c.matches(" acde ", T0, RULES)
    assert not c.matches("ACDF", T0, RULES)
    assert not c.matches("ACDE", T0 + timedelta(minutes=3), RULES)


# --- login counter ----------------------------------------------------------------------------


def _user():
    return User(mobile="13800138000", nickname="A", password_hash="h", created_at=T0, id=1)


def test_fifth_attempt_arms_lock_for_15_minutes():
    u = _user()
    assert [u.start_login_attempt(T0, RULES) for _ in range(4)] == [False] * 4
    assert u.failed_logins == 4 and u.lock_remaining(T0) == 0
    assert u.start_login_attempt(T0, RULES) is True  # this try armed the lock
    assert u.locked_until == T0 + timedelta(minutes=15)
    assert u.lock_remaining(T0 + timedelta(minutes=5)) == 600
    assert u.lock_remaining(T0 + timedelta(minutes=15)) == 0
    with pytest.raises(errors.AccountLocked) as exc:
        u.start_login_attempt(T0 + timedelta(minutes=1), RULES)
    assert exc.value.retry_after == 840
    assert u.failed_logins == 5  # refused tries are not counted


def test_a_failure_exactly_one_window_after_the_last_still_counts():
    u = _user()
    for _ in range(4):
        u.start_login_attempt(T0, RULES)
    assert u.start_login_attempt(T0 + timedelta(minutes=15), RULES) is True
    assert u.failed_logins == 5


def test_a_lock_with_under_a_second_left_is_one_second():
    u = _user()
    u.locked_until = T0 + timedelta(milliseconds=300)
    assert u.lock_remaining(T0) == 1
    u.locked_until = T0 + timedelta(seconds=2, milliseconds=700)
    assert u.lock_remaining(T0) == 2


def test_counter_restarts_after_window_and_on_success():
    u = _user()
    for _ in range(4):
        u.start_login_attempt(T0, RULES)
    u.start_login_attempt(T0 + timedelta(minutes=15, seconds=1), RULES)
    assert u.failed_logins == 1
    u.login_succeeded()
    assert (u.failed_logins, u.last_failure_at, u.locked_until) == (0, None, None)


def test_a_lock_quotes_whole_minutes_rounded_up():
    assert errors.AccountLocked.for_seconds(900).facts == {"minutes": 15}
    assert errors.AccountLocked.for_seconds(899).facts == {"minutes": 15}
    assert errors.AccountLocked.for_seconds(61).facts == {"minutes": 2}
    assert errors.AccountLocked.for_seconds(60).facts == {"minutes": 1}
    assert errors.AccountLocked.for_seconds(61).retry_after == 61


def test_domain_error_carries_field_and_retry_after():
    e = errors.InvalidInput("captcha_id", field="captcha", retry_after=3, max=9)
    assert (e.slug, e.key, e.field, e.retry_after, e.facts) == (
        "invalid_input",
        "invalid_input.captcha_id",
        "captcha",
        3,
        {"max": 9},
    )
    assert errors.InvalidInput().field is None and errors.InvalidInput().key == "invalid_input"
    assert errors.InvalidMobile().field == "mobile" and errors.InvalidMobile(field="x").field == "x"


def test_a_refusal_shows_its_key_and_facts_in_logs():
    e = errors.AccountLocked.for_seconds(61)
    assert e.args == ("account_locked", {"minutes": 2})
    assert str(e) == "('account_locked', {'minutes': 2})"


def test_a_bad_captcha_id_is_refused_next_to_the_captcha():
    with pytest.raises(errors.InvalidInput) as exc:
        canonical_captcha_id("not-a-uuid")
    assert (exc.value.key, exc.value.field) == ("invalid_input.captcha_id", "captcha")


def test_provider_refusals_name_the_provider_and_their_cause():
    throttled = errors.SmsNumberThrottled("aliyun", "isv.BUSINESS_LIMIT_CONTROL")
    assert (throttled.key, throttled.retry_after, throttled.provider, throttled.provider_code) == (
        "sms_limit.provider_throttled",
        60,
        "aliyun",
        "isv.BUSINESS_LIMIT_CONTROL",
    )
    rejected = errors.SmsNumberRejected("tencent", "FailedOperation.PhoneNumberInBlacklist")
    assert (rejected.key, rejected.field, rejected.provider, rejected.provider_code) == (
        "invalid_mobile.provider_rejected",
        "mobile",
        "tencent",
        "FailedOperation.PhoneNumberInBlacklist",
    )
    failed = errors.SmsProviderFailed("aliyun", "timeout")
    assert (str(failed), failed.provider, failed.code) == ("aliyun: timeout", "aliyun", "timeout")
