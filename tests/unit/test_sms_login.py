"""验证码登录 with one-step sign-up, password-less accounts, and 注销 by SMS code: the use cases on fakes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, EventType
from domain.model import Consent
from domain.rules import PRIVACY_VERSION, TERMS_VERSION
from domain.use_cases.change_mobile import MobileChange
from domain.use_cases.change_password import PasswordChange
from domain.use_cases.delete_account import DeletionRequest
from domain.use_cases.login_sms import SmsCredentials
from tests.builders import (
    CLIENT,
    MOBILE,
    PASSWORD,
    TEST_RULES,
    add_user,
    credentials,
    make_services,
    request_code,
    sms_request,
)

NEW = "13900139000"
NO_COOLDOWN = dataclasses.replace(TEST_RULES, sms_cooldown=timedelta(0))  # several sends to one mobile in a test


def sms_sign_in(s, code, mobile=MOBILE, **fields):
    return s.login_with_sms(SmsCredentials(mobile, code, CLIENT, **fields))


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_login_code_goes_to_any_valid_mobile_with_the_same_answer():
    s = make_services()
    add_user(s)
    registered, unknown = (s.request_sms_code(sms_request(s, m, purpose="login")) for m in (MOBILE, NEW))
    assert [(m, p) for m, _, p in s.sender.sent] == [(MOBILE, "login"), (NEW, "login")]
    assert (registered.recorded, registered.provider) == (unknown.recorded, unknown.provider) == (True, "fake")
    assert [e.detail for e in s.store.events_of(EventType.SMS_CODE_SENT)][0].keys() == [
        e.detail for e in s.store.events_of(EventType.SMS_CODE_SENT)
    ][1].keys()


def test_a_right_code_signs_an_existing_account_in_and_records_the_method():
    s = make_services()
    user = add_user(s)
    signed_in = sms_sign_in(s, request_code(s, purpose="login"), remember=True)
    assert (signed_in.user_id, signed_in.registered, signed_in.session.remember) == (user.id, False, True)
    [event] = s.store.events_of(EventType.LOGIN_SUCCEEDED)
    assert event.detail == {"session": signed_in.session.public_id, "remember": True, "method": "sms"}
    assert s.store.events_of(EventType.USER_REGISTERED) == [] and s.hasher.verify_calls == []
    assert s.load_session_user(signed_in.session.token, CLIENT.ip).user_id == user.id


def test_the_password_sign_in_records_its_method_too():
    s = make_services()
    add_user(s)
    s.login(credentials(s))
    assert s.store.events_of(EventType.LOGIN_SUCCEEDED)[0].detail["method"] == "password"


def test_a_wrong_code_signs_nobody_in_and_makes_no_account():
    s = make_services()
    code = request_code(s, purpose="login")
    with pytest.raises(errors.SmsCodeInvalid):
        sms_sign_in(s, wrong(code), agreement=True)
    assert s.store.users.rows == {}
    [event] = s.store.events_of(EventType.LOGIN_FAILED)
    assert event.detail == {"reason": "sms_code_invalid", "method": "sms"}


def test_a_code_of_another_purpose_does_not_sign_in():
    s = make_services()
    add_user(s)
    code = request_code(s, purpose="reset_password")
    with pytest.raises(errors.SmsCodeInvalid):
        sms_sign_in(s, code)


def test_a_new_mobile_needs_the_agreement_after_the_code_and_the_code_survives_for_the_retry():
    s = make_services()
    code = request_code(s, NEW, purpose="login")
    with pytest.raises(errors.SmsCodeInvalid):  # a wrong code first: the agreement is not what is asked about
        sms_sign_in(s, wrong(code), NEW)
    with pytest.raises(errors.AgreementRequired) as refused:
        sms_sign_in(s, code, NEW)
    assert refused.value.field == "agreement" and s.store.users.rows == {}
    signed_in = sms_sign_in(s, code, NEW, agreement=True)
    user = s.store.users.get(signed_in.user_id)
    assert signed_in.registered and (user.mobile, user.nickname, user.password_hash) == (NEW, "用户9000", None)
    [registered] = s.store.events_of(EventType.USER_REGISTERED)
    assert (registered.user_id, registered.detail) == (user.id, {"method": "sms"})
    [consent] = s.store.events_of(EventType.CONSENT_GIVEN)
    assert consent.detail["documents"] == {"terms": TERMS_VERSION, "privacy": PRIVACY_VERSION}
    assert {c.document for c in s.store.consents.rows} == {"terms", "privacy"}
    with pytest.raises(errors.SmsCodeInvalid):  # spent
        sms_sign_in(s, code, NEW, agreement=True)


def test_an_existing_account_needs_no_agreement():
    s = make_services()
    add_user(s)
    assert not sms_sign_in(s, request_code(s, purpose="login")).registered


def test_a_disabled_account_is_refused_and_its_code_stays_unspent():
    s = make_services()
    user = add_user(s)
    user.disabled_at = datetime.now(UTC)
    code = request_code(s, purpose="login")
    with pytest.raises(errors.AccountDisabled):
        sms_sign_in(s, code)
    with pytest.raises(errors.AccountDisabled):
        sms_sign_in(s, code)
    assert [e.detail["reason"] for e in s.store.events_of(EventType.LOGIN_FAILED)] == ["account_disabled"] * 2
    assert s.store.events_of(EventType.LOGIN_SUCCEEDED) == []


def test_a_password_lockout_does_not_stop_a_sign_in_by_code_and_the_code_lifts_it():
    s = make_services()
    user = add_user(s)
    for _ in range(s.rules.login_max_failures):
        with pytest.raises(errors.DomainError):
            s.login(credentials(s, password="wrong password"))
    assert user.locked_until is not None
    signed_in = sms_sign_in(s, request_code(s, purpose="login"))
    assert signed_in.user_id == user.id
    assert (user.locked_until, user.failed_logins) == (None, 0)
    assert s.login(credentials(s)).user_id == user.id  # the password works again at once


def test_signing_in_by_code_cancels_a_pending_deletion_and_clears_failed_passwords():
    s = make_services()
    user = add_user(s)
    user.deletion_due_at, user.failed_logins = datetime.now(UTC) + timedelta(days=3), 3
    signed_in = sms_sign_in(s, request_code(s, purpose="login"))
    assert signed_in.deletion_cancelled and user.deletion_due_at is None and user.failed_logins == 0
    assert len(s.store.events_of(EventType.ACCOUNT_DELETION_CANCELLED)) == 1


def test_a_sign_up_that_loses_the_race_for_the_mobile_signs_in_to_the_winner():
    s = make_services()
    code = request_code(s, purpose="login")
    users, won = s.store.users, []
    real_add, real_lookup = users.add, users.get_by_mobile_for_update

    def insert_loses(user):  # a password sign-up of the mobile committed between our lookup and our insert
        users.add = real_add
        won.append(True)
        raise errors.Conflict()

    def lookup(mobile):  # ... and is there for the retry, after our transaction rolled back
        if won and not users.rows:
            add_user(s, nickname="winner")
        return real_lookup(mobile)

    users.add, users.get_by_mobile_for_update = insert_loses, lookup
    signed_in = sms_sign_in(s, code, agreement=True)
    assert not signed_in.registered and signed_in.nickname == "winner" and len(s.store.users.rows) == 1


# --- accounts without a password ------------------------------------------------------------------------


def passwordless(s, mobile=MOBILE):
    """An account made by SMS sign-in; returns (user, its session token)."""
    signed_in = sms_sign_in(s, request_code(s, mobile, purpose="login"), mobile, agreement=True)
    return s.store.users.get(signed_in.user_id), signed_in.session.token


def test_password_sign_in_refuses_an_account_without_password_like_a_wrong_password_at_the_same_cost():
    s = make_services()
    user, _ = passwordless(s)
    add_user(s, NEW)
    with pytest.raises(errors.BadCredentials) as none:
        s.login(credentials(s, MOBILE, ""))  # not even an empty password matches
    with pytest.raises(errors.BadCredentials) as bad:
        s.login(credentials(s, NEW, "wrong password"))
    assert (none.value.key, none.value.facts) == (bad.value.key, bad.value.facts)
    assert len(s.hasher.verify_calls) == 2  # one verify each: against the dummy hash for the password-less one
    assert s.hasher.verify_calls[0][0] != user.password_hash
    assert user.failed_logins == 1  # counted like any wrong password, so the lockout looks the same too


def set_password_code(s, user) -> str:
    """The code 设置密码 asks for: the 忘记密码 code, sent to the signed-in account's own mobile."""
    return request_code(s, None, purpose="reset_password", user_id=user.id)


def test_an_account_without_password_sets_one_with_a_code_to_its_own_mobile_then_needs_the_password():
    s = make_services(rules=NO_COOLDOWN)
    user, token = passwordless(s)
    code = set_password_code(s, user)
    assert s.sender.sent[-1][::2] == (MOBILE, "reset_password")
    renewed = s.change_password(PasswordChange(user.id, "", "new secret 1", "new secret 1", CLIENT, token, code))
    assert user.password_hash == "hashed:new secret 1"
    assert s.store.sms.rows[-1].spent  # the code that proved it is used up
    [event] = s.store.events_of(EventType.PASSWORD_SET)
    assert event.user_id == user.id and s.store.events_of(EventType.PASSWORD_CHANGED) == []
    with pytest.raises(errors.CurrentPasswordInvalid):  # from now on ChangePassword's rules hold
        s.change_password(PasswordChange(user.id, "", "new secret 2", "new secret 2", CLIENT, renewed.token, code))
    s.login(credentials(s, MOBILE, "new secret 1"))


def test_a_session_alone_does_not_set_a_first_password():
    s = make_services(rules=NO_COOLDOWN)
    user, token = passwordless(s)
    hashed = len(s.hasher.hashed)
    for code in (None, "", "000000"):
        with pytest.raises(errors.SmsCodeInvalid):
            s.change_password(PasswordChange(user.id, "", "new secret 1", "new secret 1", CLIENT, token, code))
    assert user.password_hash is None and len(s.hasher.hashed) == hashed  # refused before any argon2
    assert s.load_session_user(token, None) is not None  # refused, not signed out
    refused = s.store.events_of(EventType.PASSWORD_CHANGE_REFUSED)
    assert [(e.user_id, e.mobile, e.detail) for e in refused] == [(user.id, MOBILE, {"reason": "sms_code_invalid"})] * 3
    assert s.store.events_of(EventType.PASSWORD_SET) == []


def test_a_first_password_takes_no_other_code_and_counts_every_wrong_try():
    s = make_services(rules=NO_COOLDOWN)
    user, token = passwordless(s)
    login_code = request_code(s, purpose="login")  # a code to the right mobile, for another purpose
    with pytest.raises(errors.SmsCodeInvalid):
        s.change_password(PasswordChange(user.id, "", "new secret 1", "new secret 1", CLIENT, token, login_code))
    code = set_password_code(s, user)
    for _ in range(TEST_RULES.sms_max_attempts_per_client):
        with pytest.raises(errors.SmsCodeInvalid):
            s.change_password(PasswordChange(user.id, "", "new secret 1", "new secret 1", CLIENT, token, wrong(code)))
    with pytest.raises(errors.SmsCodeInvalid):  # this address is out of tries on that code: the right one too
        s.change_password(PasswordChange(user.id, "", "new secret 1", "new secret 1", CLIENT, token, code))
    assert user.password_hash is None
    with pytest.raises(errors.InvalidInput):  # a signed-in account's code goes to its own mobile only
        request_code(s, NEW, purpose="reset_password", user_id=user.id)


def test_setting_a_first_password_checks_it_like_any_new_password_and_costs_no_try_on_the_code():
    s = make_services(rules=NO_COOLDOWN)
    user, token = passwordless(s)
    code = set_password_code(s, user)
    hashed = len(s.hasher.hashed)
    with pytest.raises(errors.WeakPassword):
        s.change_password(PasswordChange(user.id, "", "password123", "password123", CLIENT, token, code))
    assert user.password_hash is None and len(s.hasher.hashed) == hashed
    assert s.store.sms.rows[-1].attempts == 0
    s.change_password(PasswordChange(user.id, "", "new secret 1", "new secret 1", CLIENT, token, code))


def test_a_stolen_session_cannot_set_a_password_and_then_move_the_account():
    s = make_services(rules=NO_COOLDOWN)
    user, token = passwordless(s)
    with pytest.raises(errors.SmsCodeInvalid):
        s.change_password(PasswordChange(user.id, "", "attacker secret", "attacker secret", CLIENT, token))
    new_code = request_code(s, NEW, purpose="change_mobile", user_id=user.id)  # the attacker's own number
    with pytest.raises((errors.CurrentCodeInvalid, errors.CurrentPasswordInvalid)):
        s.change_mobile(MobileChange(user.id, NEW, new_code, "attacker secret", None, CLIENT, token))
    assert user.mobile == MOBILE and user.password_hash is None


# --- 注销 by SMS code -----------------------------------------------------------------------------------


def test_deletion_by_a_code_sent_to_the_own_mobile():
    s = make_services(rules=NO_COOLDOWN)
    user, _ = passwordless(s)
    with pytest.raises(errors.CurrentPasswordInvalid):  # no password to prove it with
        s.request_account_deletion(DeletionRequest(user.id, "", CLIENT))
    code = request_code(s, None, purpose="delete_account", user_id=user.id)
    assert s.sender.sent[-1][::2] == (MOBILE, "delete_account")
    with pytest.raises(errors.SmsCodeInvalid):
        s.request_account_deletion(DeletionRequest(user.id, None, CLIENT, wrong(code)))
    assert user.deletion_due_at is None
    [refused] = [
        e for e in s.store.events_of(EventType.ACCOUNT_DELETION_REFUSED) if e.detail["reason"] == "sms_code_invalid"
    ]
    assert (refused.user_id, refused.mobile) == (user.id, MOBILE)
    due = s.request_account_deletion(DeletionRequest(user.id, None, CLIENT, code))
    assert user.deletion_due_at == due and s.store.sessions.live_for_user(user.id, datetime.now(UTC)) == []
    assert s.hasher.verify_calls == []
    assert s.store.sms.rows[-1].spent  # the code that proved it is used up


def test_a_deletion_code_is_for_its_purpose_and_its_account_only():
    s = make_services()
    user = add_user(s)
    login_code = request_code(s, purpose="login")
    with pytest.raises(errors.SmsCodeInvalid):
        s.request_account_deletion(DeletionRequest(user.id, None, CLIENT, login_code))
    with pytest.raises(errors.InvalidInput):  # a 注销 code goes to the signed-in account's own mobile only
        request_code(s, NEW, purpose="delete_account", user_id=user.id)
    with pytest.raises(errors.InvalidInput):  # and only for a signed-in account
        request_code(s, purpose="delete_account")


def test_the_password_still_works_for_deletion():
    s = make_services()
    user = add_user(s)
    s.request_account_deletion(DeletionRequest(user.id, PASSWORD, CLIENT))
    assert user.deletion_due_at is not None


# --- every field of the events ------------------------------------------------------------------------------

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_a_sign_up_by_code_records_the_account_and_its_consent_in_full():
    s = make_services()
    with freeze_time(T0):
        signed_in = sms_sign_in(s, request_code(s, NEW, purpose="login"), NEW, agreement=True)
    user = s.store.users.get(signed_in.user_id)
    assert user.created_at == T0
    documents = {"terms": TERMS_VERSION, "privacy": PRIVACY_VERSION}
    assert [e for e in s.store.events if e.type != EventType.SMS_CODE_SENT] == [
        AuditEvent(EventType.USER_REGISTERED, T0, CLIENT, NEW, user.id, {"method": "sms"}),
        AuditEvent(EventType.CONSENT_GIVEN, T0, CLIENT, NEW, user.id, {"documents": documents}),
        AuditEvent(
            EventType.LOGIN_SUCCEEDED,
            T0,
            CLIENT,
            NEW,
            user.id,
            {"session": signed_in.session.public_id, "remember": False, "method": "sms"},
        ),
    ]
    assert s.store.consents.rows == [
        Consent(user.id, "terms", TERMS_VERSION, T0),
        Consent(user.id, "privacy", PRIVACY_VERSION, T0),
    ]


def test_refusals_by_code_name_the_mobile_and_the_account():
    s = make_services()
    user = add_user(s)
    with freeze_time(T0):
        with pytest.raises(errors.InvalidMobile):
            sms_sign_in(s, "123456", "12345")
        code = request_code(s, NEW, purpose="login")
        with pytest.raises(errors.AgreementRequired):
            sms_sign_in(s, code, NEW)
        user.disabled_at = T0
        with pytest.raises(errors.AccountDisabled):
            sms_sign_in(s, request_code(s, purpose="login"))
    assert s.store.events_of(EventType.LOGIN_FAILED) == [
        AuditEvent(EventType.LOGIN_FAILED, T0, CLIENT, None, None, {"reason": "invalid_mobile", "method": "sms"}),
        AuditEvent(EventType.LOGIN_FAILED, T0, CLIENT, NEW, None, {"reason": "agreement_required", "method": "sms"}),
        AuditEvent(
            EventType.LOGIN_FAILED, T0, CLIENT, MOBILE, user.id, {"reason": "account_disabled", "method": "sms"}
        ),
    ]


def test_a_sign_up_that_loses_the_race_twice_is_refused_and_recorded():
    s = make_services()
    code = request_code(s, purpose="login")

    def insert_always_loses(user):
        raise errors.Conflict()

    s.store.users.add = insert_always_loses
    with freeze_time(T0), pytest.raises(errors.MobileTaken):
        sms_sign_in(s, code, agreement=True)
    assert s.store.events_of(EventType.LOGIN_FAILED) == [
        AuditEvent(EventType.LOGIN_FAILED, T0, CLIENT, MOBILE, None, {"reason": "mobile_taken", "method": "sms"})
    ]


def test_the_cancellation_by_a_code_sign_in_is_recorded_without_the_method():
    s = make_services()
    user = add_user(s)
    user.deletion_due_at = T0 + timedelta(days=3)
    with freeze_time(T0):
        sms_sign_in(s, request_code(s, purpose="login"))
    assert s.store.events_of(EventType.ACCOUNT_DELETION_CANCELLED) == [
        AuditEvent(EventType.ACCOUNT_DELETION_CANCELLED, T0, CLIENT, MOBILE, user.id, {})
    ]
