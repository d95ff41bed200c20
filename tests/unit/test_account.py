"""忘记密码, 修改密码, 修改昵称, 退出所有设备, 个人中心."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.use_cases.change_nickname import NicknameChange
from domain.use_cases.change_password import PasswordChange
from domain.use_cases.reset_password import PasswordReset
from domain.use_cases.sign_out_everywhere import SignOutEverywhereRequest
from tests.builders import (
    CLIENT,
    MOBILE,
    OTHER_CLIENT,
    PASSWORD,
    TEST_RULES,
    add_user,
    credentials,
    make_services,
    request_code,
    sign_in,
)

NEW = "a brand new secret"


def reset(s, code, password=NEW, mobile=MOBILE, confirmation=None, client=CLIENT):
    s.reset_password(PasswordReset(mobile, code, password, confirmation or password, client))


def test_reset_password_with_a_reset_code_sets_the_password_and_ends_sessions():
    s = make_services()
    user = add_user(s)
    before = [sign_in(s), sign_in(s, remember=True)]
    code = request_code(s, purpose="reset_password")
    assert s.sender.sent[-1] == (MOBILE, code, "reset_password")
    reset(s, code)
    assert s.hasher.verify(user.password_hash, NEW)
    assert [s.load_session_user(token, None) for token in before] == [None, None]
    assert {r.end_reason for r in s.store.sessions.rows.values()} == {"password_reset"}
    assert s.store.events_of(EventType.PASSWORD_RESET)[0].user_id == user.id
    assert s.load_session_user(sign_in(s, password=NEW), None).user_id == user.id


def test_reset_lifts_a_lock():
    s = make_services()
    user = add_user(s)
    for _ in range(5):
        with pytest.raises(errors.DomainError):
            s.login(credentials(s, password="wrong password"))
    assert user.locked_until is not None
    reset(s, request_code(s, purpose="reset_password"))
    assert s.login(credentials(s, password=NEW)).user_id == user.id


def test_an_attacker_can_neither_kill_the_owners_reset_code_nor_keep_the_lock():
    s = make_services()
    user = add_user(s)
    for _ in range(5):  # someone who knows the mobile locks the account...
        with pytest.raises(errors.DomainError):
            s.login(credentials(s, password="wrong password"))
    code = request_code(s, purpose="reset_password", client=OTHER_CLIENT)  # the owner asks for a reset code
    for _ in range(10):  # ...and guesses at it, from the attacker's address
        with pytest.raises(errors.SmsCodeInvalid):
            reset(s, "000000", password="attacker's password")
    reset(s, code, client=OTHER_CLIENT)  # the owner, from their own address
    assert s.login(credentials(s, password=NEW, client=OTHER_CLIENT)).user_id == user.id  # the lock is gone
    assert user.failed_logins == 0 and user.locked_until is None


def test_reset_hashes_nothing_before_the_code_is_right():
    s = make_services()
    add_user(s)
    code = request_code(s, purpose="reset_password")
    s.hasher.hashed.clear()
    with pytest.raises(errors.SmsCodeInvalid):
        reset(s, "000000")
    assert s.hasher.hashed == []
    reset(s, code)
    assert s.hasher.hashed == [NEW]


def test_a_code_for_one_purpose_never_works_for_the_other():
    s = make_services()
    register_code = request_code(s, "13900139000")  # purpose register, before the account exists
    add_user(s, "13900139000")
    with pytest.raises(errors.SmsCodeInvalid):
        reset(s, register_code, mobile="13900139000")


def test_a_reset_code_for_an_unregistered_mobile_is_sent_and_tells_only_its_holder():
    s = make_services()
    code = request_code(s, purpose="reset_password")  # answered as for a registered mobile
    assert s.sender.sent == [(MOBILE, code, "reset_password")]
    with pytest.raises(errors.SmsCodeInvalid):  # a guess: the answer to any wrong code, registered or not
        reset(s, "000000")
    with pytest.raises(errors.MobileNotRegistered):  # the code proved the number: its holder may know
        reset(s, code)
    assert [e.detail["reason"] for e in s.store.events_of(EventType.PASSWORD_RESET_REFUSED)] == [
        "sms_code_invalid",
        "mobile_not_registered",
    ]


def test_reset_follows_the_code_rules():
    s = make_services()
    user = add_user(s)
    with freeze_time("2026-01-01 12:00:00") as clock:
        token = sign_in(s)
        code = request_code(s, purpose="reset_password")
        with pytest.raises(errors.WeakPassword):
            reset(s, code, password="password123")
        clock.tick(timedelta(minutes=5, seconds=1))
        with pytest.raises(errors.SmsCodeInvalid):
            reset(s, code)
        assert s.load_session_user(token, None) is not None  # refused resets end no session
    assert s.hasher.verify(user.password_hash, PASSWORD)
    reasons = [e.detail["reason"] for e in s.store.events_of(EventType.PASSWORD_RESET_REFUSED)]
    assert reasons == ["weak_password", "sms_code_invalid"]


def test_change_password_needs_the_current_one_and_ends_other_sessions():
    s = make_services()
    user = add_user(s)
    this, other = sign_in(s), sign_in(s)
    with pytest.raises(errors.CurrentPasswordInvalid):
        s.change_password(PasswordChange(user.id, "not it", NEW, NEW, CLIENT, this))
    with pytest.raises(errors.SamePassword):
        s.change_password(PasswordChange(user.id, PASSWORD, PASSWORD, PASSWORD, CLIENT, this))
    with pytest.raises(errors.PasswordMismatch):
        s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW + "x", CLIENT, this))
    assert s.load_session_user(other, None) and s.hasher.verify(user.password_hash, PASSWORD)
    renewed = s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW, CLIENT, this))
    assert s.hasher.verify(user.password_hash, NEW)
    assert s.load_session_user(other, None) is None and s.load_session_user(this, None) is None
    assert s.load_session_user(renewed.token, None).user_id == user.id  # this browser carries on, under a new id
    assert len(s.store.events_of(EventType.PASSWORD_CHANGE_REFUSED)) == 3
    assert len(s.store.events_of(EventType.PASSWORD_CHANGED)) == 1


def test_wrong_current_passwords_count_toward_the_lockout_with_sign_in_failures():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    for _ in range(2):
        with pytest.raises(errors.BadCredentials):
            s.login(credentials(s, password="wrong password"))
    for _ in range(2):
        with pytest.raises(errors.CurrentPasswordInvalid):
            s.change_password(PasswordChange(user.id, "guess", NEW, NEW, CLIENT, token))
    with pytest.raises(errors.AccountLocked) as locked:  # the fifth failure, from either place, locks
        s.change_password(PasswordChange(user.id, "guess", NEW, NEW, CLIENT, token))
    assert locked.value.retry_after == 900
    [event] = s.store.events_of(EventType.ACCOUNT_LOCKED)
    assert event.user_id == user.id
    # Locked: not even the right current password changes it, and sign-in is refused too.
    with pytest.raises(errors.AccountLocked):
        s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW, CLIENT, token))
    with pytest.raises(errors.BadCredentials):  # the sign-in form answers a lock as a wrong password
        s.login(credentials(s))
    assert s.store.events_of(EventType.LOGIN_FAILED)[-1].detail["reason"] == "account_locked"
    assert s.hasher.verify(user.password_hash, PASSWORD)
    assert [r.ended_at for r in s.store.sessions.rows.values()] == [None]  # nothing changed, no session ended
    reasons = [e.detail["reason"] for e in s.store.events_of(EventType.PASSWORD_CHANGE_REFUSED)]
    assert reasons == ["current_password_invalid"] * 3 + ["account_locked"]


def test_a_right_current_password_clears_the_failure_count():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    with pytest.raises(errors.CurrentPasswordInvalid):
        s.change_password(PasswordChange(user.id, "guess", NEW, NEW, CLIENT, token))
    assert user.failed_logins == 1
    s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW, CLIENT, token))
    assert user.failed_logins == 0


def test_change_password_checks_the_new_one_before_any_argon2():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    s.hasher.verify_calls.clear()
    with pytest.raises(errors.WeakPassword):
        s.change_password(PasswordChange(user.id, PASSWORD, "password123", "password123", CLIENT, token))
    assert s.hasher.verify_calls == [] and user.failed_logins == 0


def test_change_nickname_checks_and_records():
    s = make_services()
    user = add_user(s)
    with pytest.raises(errors.InvalidNickname):
        s.change_nickname(NicknameChange(user.id, "\u200b", CLIENT))
    assert s.change_nickname(NicknameChange(user.id, "  新昵称 ", CLIENT)) == "新昵称"
    assert user.nickname == "新昵称"
    [event] = s.store.events_of(EventType.NICKNAME_CHANGED)
    assert (event.detail["previous"], event.detail["nickname"]) == ("Alice", "新昵称")


@pytest.mark.parametrize("nickname", ["官方客服", "\u0430dmin", "ＡＤＭＩＮ"])
def test_a_reserved_nickname_is_refused_and_nothing_changes(nickname):
    s = make_services()
    user = add_user(s)
    with pytest.raises(errors.NicknameReserved):
        s.change_nickname(NicknameChange(user.id, nickname, CLIENT))
    assert user.nickname == "Alice" and s.store.events_of(EventType.NICKNAME_CHANGED) == []


def test_sign_out_everywhere_ends_every_session_of_the_user_only():
    s = make_services()
    user = add_user(s)
    other_user = add_user(s, "13900139000")
    mine, theirs = [sign_in(s), sign_in(s)], sign_in(s, "13900139000")
    s.sign_out_everywhere(SignOutEverywhereRequest(user.id, CLIENT))
    assert [s.load_session_user(token, None) for token in mine] == [None, None]
    assert s.load_session_user(theirs, None).user_id == other_user.id
    [event] = s.store.events_of(EventType.SESSIONS_REVOKED)
    assert (event.user_id, event.mobile, event.client, event.detail) == (user.id, MOBILE, CLIENT, {"ended": 2})


def test_profile_shows_the_users_own_sign_ins_newest_first():
    s = make_services()
    user = add_user(s)
    other = add_user(s, "13900139000")
    with freeze_time("2026-01-01 12:00:00") as clock:
        s.login(credentials(s))
        clock.tick(60)
        with pytest.raises(errors.BadCredentials):
            s.login(credentials(s, password="wrong password"))
        clock.tick(60)
        s.login(credentials(s, "13900139000"))
    profile = s.view_profile(user.id)
    assert profile.masked_mobile == "138****8000" and profile.nickname == "Alice"
    assert [e.type for e in profile.sign_ins] == [EventType.LOGIN_FAILED, EventType.LOGIN_SUCCEEDED]
    assert all(e.user_id == user.id for e in profile.sign_ins) and other.id != user.id


def test_profile_keeps_only_the_last_twenty():
    s = make_services()
    user = add_user(s)
    for _ in range(25):
        s.login(credentials(s))
    assert len(s.view_profile(user.id).sign_ins) == 20


# --- every field of the events, and the races between the two transactions ---------------------------------

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_a_reset_records_who_when_and_from_where():
    s = make_services()
    user = add_user(s)
    with freeze_time(T0):
        reset(s, request_code(s, purpose="reset_password"))
    assert s.store.events_of(EventType.PASSWORD_RESET) == [
        AuditEvent(EventType.PASSWORD_RESET, T0, CLIENT, mobile="13800138000", user_id=user.id, detail={})
    ]


def test_a_reset_code_used_by_a_racing_reset_while_hashing_is_refused():
    s = make_services()
    user = add_user(s)
    code = request_code(s, purpose="reset_password")
    hash_password = s.hasher.hash

    def hash_while_another_reset_spends_the_code(password):
        s.store.sms.rows[-1].spent = True
        return hash_password(password)

    s.hasher.hash = hash_while_another_reset_spends_the_code
    with freeze_time(T0), pytest.raises(errors.SmsCodeInvalid):
        reset(s, code)
    assert s.hasher.verify(user.password_hash, PASSWORD)
    assert s.store.events_of(EventType.PASSWORD_RESET_REFUSED) == [
        AuditEvent(
            EventType.PASSWORD_RESET_REFUSED, T0, CLIENT, mobile="13800138000", detail={"reason": "sms_code_invalid"}
        )
    ]


def test_a_reset_for_an_account_erased_while_hashing_is_refused_and_spends_the_code():
    s = make_services()
    user = add_user(s)
    code = request_code(s, purpose="reset_password")
    hash_password = s.hasher.hash

    def hash_while_the_account_is_erased(password):
        s.store.users.remove(user)
        return hash_password(password)

    s.hasher.hash = hash_while_the_account_is_erased
    with freeze_time(T0), pytest.raises(errors.MobileNotRegistered):
        reset(s, code)
    assert s.store.sms.rows[-1].spent
    assert s.store.events_of(EventType.PASSWORD_RESET_REFUSED) == [
        AuditEvent(
            EventType.PASSWORD_RESET_REFUSED,
            T0,
            CLIENT,
            mobile="13800138000",
            detail={"reason": "mobile_not_registered"},
        )
    ]


def test_a_second_reset_ends_the_sessions_started_after_the_first():
    s = make_services(rules=dataclasses.replace(TEST_RULES, sms_cooldown=timedelta(0)))
    add_user(s)
    reset(s, request_code(s, purpose="reset_password"))
    between = sign_in(s, password=NEW)
    reset(s, request_code(s, purpose="reset_password"), password="another new secret")
    assert s.load_session_user(between, None) is None


def test_a_password_change_records_who_when_and_from_where():
    s = make_services()
    user = add_user(s)
    with freeze_time(T0):
        token = sign_in(s)
        s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW, CLIENT, token))
    assert s.store.events_of(EventType.PASSWORD_CHANGED) == [
        AuditEvent(EventType.PASSWORD_CHANGED, T0, CLIENT, mobile="13800138000", user_id=user.id, detail={})
    ]


def test_a_second_password_change_ends_the_sessions_started_after_the_first():
    s = make_services()
    user = add_user(s)
    renewed = s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW, CLIENT, sign_in(s)))
    between = sign_in(s, password=NEW)
    s.change_password(PasswordChange(user.id, NEW, "a third secret", "a third secret", CLIENT, renewed.token))
    assert s.load_session_user(between, None) is None


def test_a_first_password_set_by_a_racing_request_while_hashing_refuses_this_one():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    user.password_hash = None  # an account made by 验证码登录
    hash_password = s.hasher.hash

    def hash_while_another_request_sets_one(password):
        user.password_hash = hash_password("set by the other request")
        return hash_password(password)

    s.hasher.hash = hash_while_another_request_sets_one
    with freeze_time(T0):
        code = request_code(s, None, purpose="reset_password", user_id=user.id)
        with pytest.raises(errors.CurrentPasswordInvalid):
            s.change_password(PasswordChange(user.id, "", NEW, NEW, CLIENT, token, code))
    assert s.hasher.verify(user.password_hash, "set by the other request")
    assert s.load_session_user(token, None) is not None
    assert s.store.events_of(EventType.PASSWORD_CHANGE_REFUSED) == [
        AuditEvent(
            EventType.PASSWORD_CHANGE_REFUSED,
            T0,
            CLIENT,
            mobile="13800138000",
            user_id=user.id,
            detail={"reason": "current_password_invalid"},
        )
    ]


def test_a_first_password_whose_code_a_racing_request_used_while_hashing_is_refused_and_recorded():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    user.password_hash = None  # an account made by 验证码登录
    hash_password = s.hasher.hash

    def hash_while_another_request_spends_the_code(password):
        s.store.sms.rows[-1].spent = True
        return hash_password(password)

    s.hasher.hash = hash_while_another_request_spends_the_code
    with freeze_time(T0):
        code = request_code(s, None, purpose="reset_password", user_id=user.id)
        with pytest.raises(errors.SmsCodeInvalid):
            s.change_password(PasswordChange(user.id, "", NEW, NEW, CLIENT, token, code))
    assert user.password_hash is None and s.load_session_user(token, None) is not None
    assert s.store.events_of(EventType.PASSWORD_CHANGE_REFUSED) == [
        AuditEvent(
            EventType.PASSWORD_CHANGE_REFUSED,
            T0,
            CLIENT,
            mobile="13800138000",
            user_id=user.id,
            detail={"reason": "sms_code_invalid"},
        )
    ]


def test_a_password_change_whose_account_moved_to_another_mobile_while_verifying_must_sign_in():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    verify = s.hasher.verify

    def verify_while_a_racing_change_moves_the_mobile(password_hash, password):
        user.mobile = "13700137000"
        return verify(password_hash, password)

    s.hasher.verify = verify_while_a_racing_change_moves_the_mobile
    with pytest.raises(errors.LoginRequired):
        s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW, CLIENT, token))
    assert verify(user.password_hash, PASSWORD) and s.load_session_user(token, None) is not None
    assert s.store.events_of(EventType.PASSWORD_CHANGED) == []


def test_a_password_change_whose_account_moved_before_its_row_was_locked_must_sign_in_and_counts_no_try():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    verified = len(s.hasher.verify_calls)
    get_for_update = s.store.users.get_for_update

    def lock_the_row_after_a_racing_change_moved_the_mobile(user_id):
        user.mobile = "13700137000"
        return get_for_update(user_id)

    s.store.users.get_for_update = lock_the_row_after_a_racing_change_moved_the_mobile
    with pytest.raises(errors.LoginRequired):
        s.change_password(PasswordChange(user.id, PASSWORD, NEW, NEW, CLIENT, token))
    assert user.failed_logins == 0 and len(s.hasher.verify_calls) == verified  # refused before the count and argon2
    assert s.store.events_of(EventType.PASSWORD_CHANGED) == []


def test_a_nickname_change_records_who_when_from_where_and_both_names():
    s = make_services()
    user = add_user(s)
    with freeze_time(T0):
        s.change_nickname(NicknameChange(user.id, "Bob", CLIENT))
    assert s.store.events_of(EventType.NICKNAME_CHANGED) == [
        AuditEvent(
            EventType.NICKNAME_CHANGED,
            T0,
            CLIENT,
            mobile="13800138000",
            user_id=user.id,
            detail={"previous": "Alice", "nickname": "Bob"},
        )
    ]


def test_sign_out_everywhere_records_who_when_and_from_where():
    s = make_services()
    user = add_user(s)
    sign_in(s)
    with freeze_time(T0):
        s.sign_out_everywhere(SignOutEverywhereRequest(user.id, CLIENT))
    assert s.store.events_of(EventType.SESSIONS_REVOKED) == [
        AuditEvent(EventType.SESSIONS_REVOKED, T0, CLIENT, mobile="13800138000", user_id=user.id, detail={"ended": 1})
    ]


def test_an_event_says_when_its_ip_is_the_proxys():
    s = make_services()
    user = add_user(s)
    proxied = ClientContext(ip="10.0.0.1", user_agent="pytest", request_id="req-3", forwarded_for_invalid=True)
    s.change_nickname(NicknameChange(user.id, "Bob", proxied))
    s.change_nickname(NicknameChange(user.id, "Carol", CLIENT))
    first, second = s.store.events_of(EventType.NICKNAME_CHANGED)
    assert first.detail == {"previous": "Alice", "nickname": "Bob", "forwarded_for_invalid": True}
    assert second.detail == {"previous": "Bob", "nickname": "Carol"}


def test_the_profile_shows_when_the_account_was_made_and_whether_it_has_a_password():
    s = make_services()
    with freeze_time(T0):
        user = add_user(s)
    profile = s.view_profile(user.id)
    assert (profile.member_since, profile.has_password) == (T0, True)
    user.password_hash = None
    assert s.view_profile(user.id).has_password is False


def test_checking_a_new_password_applies_the_sign_up_rules():
    s = make_services()
    check = s.check_new_password
    assert check("a fine new secret") is None
    with pytest.raises(errors.WeakPassword):
        check("password123")
    with pytest.raises(errors.InvalidPassword) as exc:
        check("short")
    assert exc.value.facts == {"min": 8, "max": 128}
