"""换绑手机号 on fakes: the current mobile's code, the password, the new mobile's code, the new mobile free, every
other session ended, the event masked, the old number told."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, EventType
from domain.use_cases.change_mobile import MobileChange
from domain.use_cases.login_sms import SmsCredentials
from tests.builders import CLIENT, MOBILE, PASSWORD, TEST_RULES, add_user, make_services, request_code, sign_in
from tests.fakes import FakeCodes

NEW = "13900139000"
RULES = dataclasses.replace(TEST_RULES, sms_cooldown=timedelta(0))


def services():
    """No cooldown (several codes to one mobile), and every code different."""
    return make_services(rules=RULES, codes=FakeCodes(digits=[str(n) for n in range(200001, 200100)]))


CURRENT = object()  # the current mobile's code that new_code asked for last


def change(s, user, token, code, mobile=NEW, password=PASSWORD, current_code=CURRENT):
    if current_code is CURRENT:
        current_code = getattr(s, "current_codes", {}).get(user.id)
    return s.change_mobile(MobileChange(user.id, mobile, code, password, current_code, CLIENT, token))


def current_code(s, user):
    return request_code(s, None, purpose="change_mobile", user_id=user.id)  # to the account's own mobile


def new_code(s, user, mobile=NEW, current=True):
    """A code to the new mobile, after one to the current mobile (kept for `change`) unless `current` is False:
    the new one is sent last."""
    if current:
        if not hasattr(s, "current_codes"):
            s.current_codes = {}
        s.current_codes[user.id] = current_code(s, user)
    return request_code(s, mobile, purpose="change_mobile", user_id=user.id)


def live(s, user):
    return s.store.sessions.live_for_user(user.id, datetime.now(UTC))


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
    user.locked_until = datetime.now(UTC) + timedelta(minutes=5)
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
    assert [m for m, _, _ in s.sender.sent] == [MOBILE]  # the current mobile's code only
    assert [(e.mobile, e.detail["reason"]) for e in s.store.events_of(EventType.SMS_CODE_REFUSED)] == [
        (NEW, "mobile_in_use")
    ]
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
    code = new_code(s, user, current=False)
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
    user.deletion_due_at = datetime.now(UTC) - timedelta(seconds=1)
    s.erase_due_accounts(CLIENT)
    [event] = s.store.events_of(EventType.MOBILE_CHANGED)
    assert event.detail == {"old_mobile": None, "new_mobile": None} and event.mobile != NEW


# --- the lock, every refusal's event, and the races between the transactions --------------------------------

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def refusals(s):
    return [(e.user_id, e.mobile, e.detail) for e in s.store.events_of(EventType.MOBILE_CHANGE_REFUSED)]


def test_the_fifth_wrong_password_locks_the_account_and_records_it():
    s = services()
    with freeze_time(T0):
        user = add_user(s)
        token = sign_in(s)
        code = new_code(s, user)
        for _ in range(4):
            with pytest.raises(errors.CurrentPasswordInvalid):
                change(s, user, token, code, password="wrong password")
        with pytest.raises(errors.AccountLocked) as locked:
            change(s, user, token, code, password="wrong password")
        assert (locked.value.facts, locked.value.retry_after) == ({"minutes": 15}, 900)
        assert refusals(s) == [(user.id, MOBILE, {"reason": "current_password_invalid"})] * 5
        assert s.store.events_of(EventType.ACCOUNT_LOCKED) == [
            AuditEvent(EventType.ACCOUNT_LOCKED, T0, CLIENT, MOBILE, user.id, {"until": "2026-01-01T12:15:00+00:00"})
        ]
        with pytest.raises(errors.AccountLocked):  # even with the right password now (and a code with tries left)
            change(s, user, token, new_code(s, user))
    assert refusals(s)[-1] == (user.id, MOBILE, {"reason": "account_locked"})
    assert user.mobile == MOBILE


def test_only_the_try_that_armed_the_lock_reports_it():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    verify = s.hasher.verify

    def verify_while_a_concurrent_try_locks(password_hash, password):
        user.failed_logins, user.locked_until = 5, datetime.now(UTC) + timedelta(minutes=15)
        return verify(password_hash, password)

    s.hasher.verify = verify_while_a_concurrent_try_locks
    with pytest.raises(errors.CurrentPasswordInvalid):
        change(s, user, token, code, password="wrong password")
    assert s.store.events_of(EventType.ACCOUNT_LOCKED) == []


def test_refusals_before_any_code_is_checked_are_recorded():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    with pytest.raises(errors.MobileUnchanged):
        change(s, user, token, "123456", mobile=MOBILE)
    user.locked_until = datetime.now(UTC) + timedelta(minutes=5)
    with pytest.raises(errors.AccountLocked):
        change(s, user, token, new_code(s, user))
    assert refusals(s) == [
        (user.id, MOBILE, {"reason": "mobile_unchanged"}),
        (user.id, MOBILE, {"reason": "account_locked"}),
    ]


def test_a_mobile_taken_after_its_code_was_sent_is_recorded():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    add_user(s, NEW, nickname="Bob")
    with pytest.raises(errors.MobileInUse):
        change(s, user, token, code)
    assert refusals(s) == [(user.id, MOBILE, {"reason": "mobile_in_use"})]


def test_a_mobile_taken_by_a_racing_account_at_commit_is_refused_and_recorded():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    verify = s.hasher.verify

    def verify_while_another_account_takes_the_mobile(password_hash, password):
        s.store.fail_next_commit = errors.Conflict()  # the unique constraint on users.mobile, at the change's commit
        return verify(password_hash, password)

    s.hasher.verify = verify_while_another_account_takes_the_mobile
    with pytest.raises(errors.MobileInUse):
        change(s, user, token, code)
    assert user.mobile == MOBILE and s.load_session_user(token, CLIENT.ip) is not None
    assert refusals(s) == [(user.id, MOBILE, {"reason": "mobile_in_use"})]


def test_the_other_sessions_end_as_mobile_changed():
    s = services()
    user = add_user(s)
    _other, token = sign_in(s), sign_in(s)
    change(s, user, token, new_code(s, user))
    assert {x.end_reason for x in s.store.sessions.rows.values() if x.ended_at} == {"mobile_changed"}


def test_a_code_used_by_a_racing_request_while_the_password_is_checked_is_refused():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    verify = s.hasher.verify

    def verify_while_another_request_spends_the_code(password_hash, password):
        s.store.sms.rows[-1].spent = True
        return verify(password_hash, password)

    s.hasher.verify = verify_while_another_request_spends_the_code
    with pytest.raises(errors.SmsCodeInvalid):
        change(s, user, token, code)
    assert user.mobile == MOBILE
    assert refusals(s) == [(user.id, MOBILE, {"reason": "sms_code_invalid"})]


def passwordless(s):
    signed_in = s.login_with_sms(SmsCredentials(MOBILE, request_code(s, purpose="login"), CLIENT, agreement=True))
    return s.store.users.get(signed_in.user_id), signed_in.session.token


def test_both_codes_are_used_up_by_the_change():
    s = services()
    user, token = passwordless(s)
    code = new_code(s, user, current=False)
    current = request_code(s, None, purpose="change_mobile", user_id=user.id)
    change(s, user, token, code, password=None, current_code=current)
    assert [(c.mobile, c.spent) for c in s.store.sms.rows if c.purpose.startswith("change_mobile")] == [
        (NEW, True),
        (MOBILE, True),
    ]


def test_a_wrong_current_code_is_recorded():
    s = services()
    user, token = passwordless(s)
    with pytest.raises(errors.CurrentCodeInvalid):
        change(s, user, token, new_code(s, user, current=False), password=None)
    assert refusals(s) == [(user.id, MOBILE, {"reason": "current_code_invalid"})]


def test_a_current_code_used_by_a_racing_request_before_the_change_is_refused():
    s = services()
    user, token = passwordless(s)
    code = new_code(s, user, current=False)
    current = request_code(s, None, purpose="change_mobile", user_id=user.id)
    transactions, uow = [], s.change_mobile.uow

    def third_transaction_after_the_current_code_is_spent():
        transactions.append(1)
        if len(transactions) == 3:  # the change's own, after the codes were checked
            next(
                c for c in s.store.sms.rows if c.mobile == MOBILE and c.purpose.startswith("change_mobile")
            ).spent = True
        return uow()

    s.change_mobile.uow = third_transaction_after_the_current_code_is_spent
    with pytest.raises(errors.CurrentCodeInvalid):
        change(s, user, token, code, password=None, current_code=current)
    assert user.mobile == MOBILE
    assert refusals(s) == [(user.id, MOBILE, {"reason": "current_code_invalid"})]


@pytest.mark.parametrize("meanwhile", ["mobile moved", "session ended"])
def test_a_change_whose_account_or_session_changed_while_the_password_is_checked_must_sign_in(meanwhile):
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    verify = s.hasher.verify

    def verify_while_it_changes(password_hash, password):
        if meanwhile == "mobile moved":
            user.mobile = "13700137000"  # a racing 换绑 to another number
        else:
            s.store.sessions.end_all(user.id, datetime.now(UTC), "logged_out")
        return verify(password_hash, password)

    s.hasher.verify = verify_while_it_changes
    with pytest.raises(errors.LoginRequired):
        change(s, user, token, code)
    assert user.mobile != NEW and s.store.events_of(EventType.MOBILE_CHANGED) == []


def test_a_change_from_a_session_that_is_not_there_must_sign_in():
    s = services()
    user = add_user(s)
    sign_in(s)
    with pytest.raises(errors.LoginRequired):
        change(s, user, "no such session", new_code(s, user))
    assert user.mobile == MOBILE


# --- every account proves its current mobile; the number left behind is told ------------------------------


def test_the_password_and_a_code_to_the_new_mobile_alone_do_not_move_a_password_account():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user, current=False)
    for missing in (None, "000000"):
        with pytest.raises(errors.CurrentCodeInvalid):
            change(s, user, token, code, current_code=missing)
    assert user.mobile == MOBILE and s.store.events_of(EventType.MOBILE_CHANGED) == []
    assert s.hasher.verify_calls == [(user.password_hash, PASSWORD)]  # the sign-in's only: no argon2 without it
    assert refusals(s) == [(user.id, MOBILE, {"reason": "current_code_invalid"})] * 2
    assert s.sender.notices == []


def test_a_wrong_new_code_still_counts_a_try_on_the_current_code():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    with pytest.raises(errors.SmsCodeInvalid):
        change(s, user, token, "000000" if code != "000000" else "111111")
    current = next(c for c in s.store.sms.rows if c.mobile == MOBILE and c.purpose.startswith("change_mobile"))
    assert current.attempts == 1


def test_the_old_mobile_is_told_after_the_change():
    s = services()
    user = add_user(s)
    change(s, user, sign_in(s), new_code(s, user))
    assert s.sender.notices == [(MOBILE, "mobile_changed_notice")]
    [sent] = s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_SENT)
    assert (sent.mobile, sent.user_id, sent.detail) == (MOBILE, user.id, {"provider": "fake"})


@pytest.mark.parametrize(
    "failure",
    [errors.SmsProviderFailed("aliyun", "timeout"), errors.SmsNumberRejected("aliyun", "isv.MOBILE_NUMBER_ILLEGAL")],
)
def test_a_notice_the_provider_fails_is_recorded_and_the_change_stands(failure):
    s = services()
    user = add_user(s)
    s.sender.fail_notice = failure
    renewed = change(s, user, sign_in(s), new_code(s, user))
    assert user.mobile == NEW and s.load_session_user(renewed.token, CLIENT.ip).user_id == user.id
    [failed] = s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_FAILED)
    code = failure.code if isinstance(failure, errors.SmsProviderFailed) else failure.provider_code
    assert (failed.mobile, failed.user_id, failed.detail) == (
        MOBILE,
        user.id,
        {"provider": "aliyun", "provider_code": code},
    )
    assert s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_SENT) == []


def test_no_notice_is_sent_for_a_refused_change():
    s = services()
    user = add_user(s)
    token = sign_in(s)
    code = new_code(s, user)
    with pytest.raises(errors.CurrentPasswordInvalid):
        change(s, user, token, code, password="wrong password")
    assert s.sender.notices == [] and s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_SENT) == []


def test_a_notice_the_sender_fails_outside_its_promise_is_recorded_by_the_exception_and_the_change_stands():
    s = services()
    user = add_user(s)
    s.sender.fail_notice = RuntimeError("sender bug")  # neither a provider failure nor a refusal of the number
    renewed = change(s, user, sign_in(s), new_code(s, user))
    assert user.mobile == NEW and s.load_session_user(renewed.token, CLIENT.ip).user_id == user.id
    [failed] = s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_FAILED)
    assert (failed.mobile, failed.user_id, failed.detail) == (
        MOBILE,
        user.id,
        {"provider": None, "provider_code": "RuntimeError"},
    )
    assert s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_SENT) == []


def test_a_notice_the_sender_takes_without_a_receipt_is_recorded_as_sent_with_no_provider():
    s = services()
    user = add_user(s)
    told = []
    s.sender.send_notice = lambda mobile, notice: told.append((mobile, notice))  # answers None
    change(s, user, sign_in(s), new_code(s, user))
    assert told == [(MOBILE, "mobile_changed_notice")]
    [sent] = s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_SENT)
    assert (sent.mobile, sent.user_id, sent.detail) == (MOBILE, user.id, {"provider": None})
    assert s.store.events_of(EventType.MOBILE_CHANGE_NOTICE_FAILED) == []
