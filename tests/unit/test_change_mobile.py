"""换绑手机号 on fakes: both proofs, the new mobile free, every other session ended, the event masked."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from domain import errors
from domain.events import EventType
from domain.use_cases.change_mobile import MobileChange
from domain.use_cases.login_sms import SmsCredentials
from tests.fakes import CLIENT, FakeCodes, MOBILE, PASSWORD, TEST_RULES, add_user, make_services, request_code, sign_in

NEW = "13900139000"
RULES = dataclasses.replace(TEST_RULES, sms_cooldown=timedelta(0))


def services():
    """No cooldown (several codes to one mobile), and every code different."""
    return make_services(rules=RULES, codes=FakeCodes(digits=[str(n) for n in range(200001, 200100)]))


def change(s, user, token, code, mobile=NEW, password=PASSWORD, current_code=None):
    return s.change_mobile(MobileChange(user.id, mobile, code, password, current_code, CLIENT, token))


def new_code(s, user, mobile=NEW):
    return request_code(s, mobile, purpose="change_mobile", user_id=user.id)


def live(s, user):
    return s.store.sessions.live_for_user(user.id, datetime.now(timezone.utc))


def test_the_password_and_a_code_to_the_new_mobile_move_the_account_and_end_the_other_sessions():
    s = services()
    user = add_user(s)
    other, token = sign_in(s), sign_in(s)
    renewed = change(s, user, token, new_code(s, user))
    assert user.mobile == NEW and s.sender.sent[-1][::2] == (NEW, "change_mobile")
    assert [x.public_id for x in live(s, user)] == [renewed.public_id]  # this browser, under a new id
    assert s.load_session_user(other, CLIENT.ip) is None and s.load_session_user(token, CLIENT.ip) is None
    assert s.load_session_user(renewed.token, CLIENT.ip).user_id == user.id
    [event] = s.store.events_of(EventType.MOBILE_CHANGED)
    assert (event.mobile, event.user_id) == (NEW, user.id)
    assert event.detail == {"old_mobile": "138****8000", "new_mobile": "139****9000"}


def test_a_wrong_code_or_password_changes_nothing_and_a_wrong_password_counts_toward_the_lock():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    with pytest.raises(errors.SmsCodeInvalid):
        change(s, user, token, "000000" if code != "000000" else "111111")
    assert s.hasher.verify_calls == [(user.password_hash, PASSWORD)]  # the sign-in's only: no argon2 for a bad code
    with pytest.raises(errors.CurrentPasswordInvalid):
        change(s, user, token, code, password="wrong password")
    assert user.mobile == MOBILE and user.failed_logins == 1
    change(s, user, token, code)  # the code survived both refusals
    assert user.mobile == NEW and user.failed_logins == 0
    reasons = [e.detail["reason"] for e in s.store.events_of(EventType.MOBILE_CHANGE_REFUSED)]
    assert reasons == ["sms_code_invalid", "current_password_invalid"]


def test_a_locked_account_is_refused():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    user.locked_until = datetime.now(timezone.utc) + timedelta(minutes=5)
    with pytest.raises(errors.AccountLocked):
        change(s, user, token, code)
    assert user.mobile == MOBILE


def test_the_new_mobile_must_be_free_and_different():
    s = services()
    user = add_user(s)
    add_user(s, NEW, nickname="Bob")
    token = sign_in(s)
    with pytest.raises(errors.MobileInUse):  # refused before any SMS is spent on it
        new_code(s, user)
    assert [m for m, _, _ in s.sender.sent] == []
    with pytest.raises(errors.MobileUnchanged):
        change(s, user, token, "123456", mobile=MOBILE)


def test_a_mobile_taken_after_its_code_was_sent_is_refused():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    add_user(s, NEW, nickname="Bob")
    with pytest.raises(errors.MobileInUse):
        change(s, user, token, code)
    assert user.mobile == MOBILE and s.store.events_of(EventType.MOBILE_CHANGED) == []


def test_the_code_is_bound_to_the_account_that_asked_for_it():
    s = services()
    alice, bob = add_user(s), add_user(s, "13700137000", nickname="Bob")
    alice_token, bob_token = sign_in(s), sign_in(s, "13700137000")
    alices = new_code(s, alice)
    bobs = new_code(s, bob)  # Bob asks for the same new mobile: Alice's code lives on, and is no use to Bob
    with pytest.raises(errors.SmsCodeInvalid):
        change(s, bob, bob_token, alices)
    change(s, alice, alice_token, alices)
    assert alice.mobile == NEW and bobs != alices


def test_an_account_without_password_proves_itself_with_a_code_to_its_current_mobile():
    s = services()
    signed_in = s.login_with_sms(SmsCredentials(MOBILE, request_code(s, purpose="login"), CLIENT, agreement=True))
    user, token = s.store.users.get(signed_in.user_id), signed_in.session.token
    code = new_code(s, user)
    with pytest.raises(errors.CurrentCodeInvalid):
        change(s, user, token, code, password=None)
    current = request_code(s, None, purpose="change_mobile", user_id=user.id)  # to the account's own mobile
    assert s.sender.sent[-1][::2] == (MOBILE, "change_mobile")
    with pytest.raises(errors.CurrentCodeInvalid):  # the new mobile's code is not the current mobile's
        change(s, user, token, code, password=None, current_code=code)
    renewed = change(s, user, token, code, password=None, current_code=current)
    assert user.mobile == NEW and renewed.token and s.hasher.verify_calls == []


def test_erasure_blanks_the_masked_numbers_of_mobile_changed():
    s = services()
    user = add_user(s)
    change(s, user, sign_in(s), new_code(s, user))
    user.deletion_due_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    s.erase_due_accounts(CLIENT)
    [event] = s.store.events_of(EventType.MOBILE_CHANGED)
    assert event.detail == {"old_mobile": None, "new_mobile": None} and event.mobile != NEW
