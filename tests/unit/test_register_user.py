"""RegisterUser: field rules, the SMS code, uniqueness and what gets stored."""

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import EventType
from tests.builders import CLIENT, MOBILE, OTHER_CLIENT, PASSWORD, add_user, make_services, registration, request_code
from tests.fakes import DatabaseDown, FakeCodes

NOW = "2024-01-01 12:00:00"


def reasons(s):
    return [e.detail["reason"] for e in s.store.events_of(EventType.REGISTRATION_REFUSED)]


@freeze_time(NOW)
def test_registration_stores_a_hash_and_records_the_user_id():
    s = make_services()
    code = request_code(s)
    user_id = s.register_user(registration(code, mobile=" 13800138000 ", nickname="  Alice  "))
    user = s.store.users.get(user_id)
    assert (user.id, user.mobile, user.nickname) == (user_id, MOBILE, "Alice")
    assert user.password_hash == s.hasher.hash(PASSWORD) != PASSWORD
    [event] = s.store.events_of(EventType.USER_REGISTERED)
    assert (event.user_id, event.mobile, event.client) == (user_id, MOBILE, CLIENT)
    assert s.store.sms.current_for_update(MOBILE, "register") is None  # the code is spent


def test_ids_are_distinct():
    s = make_services()
    first = s.register_user(registration(request_code(s)))
    second = s.register_user(registration(request_code(s, "13900139000"), mobile="13900139000"))
    assert first != second


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"mobile": "1380013800"}, errors.InvalidMobile),
        ({"nickname": "   "}, errors.InvalidNickname),
        ({"nickname": "x" * 33}, errors.InvalidNickname),
        ({"nickname": "a\u202eb"}, errors.InvalidNickname),
        ({"nickname": "a\x07b"}, errors.InvalidNickname),
        ({"password": "short12"}, errors.InvalidPassword),
        ({"password": "a" * 129}, errors.InvalidPassword),
        ({"confirmation": PASSWORD + "!"}, errors.PasswordMismatch),
        ({"password": "Password123"}, errors.WeakPassword),
        ({"agreement": False}, errors.AgreementRequired),
    ],
)
def test_invalid_fields_are_refused_without_touching_the_code(fields, error):
    s = make_services()
    code = request_code(s)
    with pytest.raises(error) as exc:
        s.register_user(registration(code, **fields))
    assert s.store.users.rows == {}
    assert s.store.sms.rows[0].attempts == 0
    [event] = s.store.events_of(EventType.REGISTRATION_REFUSED)
    assert (event.detail["reason"], event.client) == (exc.value.slug, CLIENT)
    assert event.mobile == (None if error is errors.InvalidMobile else MOBILE)


@pytest.mark.parametrize("nickname, password", [(" " + "x" * 32 + " ", "a" * 8), ("x", "a" * 128)])
def test_boundaries_are_accepted(nickname, password):
    s = make_services()
    user_id = s.register_user(registration(request_code(s), nickname=nickname, password=password))
    assert s.store.users.get(user_id).nickname == nickname.strip()


def test_a_made_up_code_gets_the_same_answer_for_registered_and_unregistered_mobiles():
    s = make_services()
    add_user(s)
    answers = []
    for mobile in (MOBILE, "13900139000"):  # registered, not registered
        with pytest.raises(errors.DomainError) as exc:
            s.register_user(registration("123456", mobile=mobile))
        answers.append((exc.value.key, exc.value.facts, exc.value.field))
    assert answers[0] == answers[1] == ("sms_code_invalid", {}, "vercode")


def test_mobile_taken_is_told_to_whoever_holds_a_code():
    s = make_services()
    code = request_code(s)  # sent before the account below existed
    add_user(s)
    s.hasher.hashed.clear()
    with pytest.raises(errors.MobileTaken):
        s.register_user(registration(code))
    assert reasons(s) == ["mobile_taken"] and len(s.store.users.rows) == 1
    assert s.hasher.hashed == []  # told before any argon2


def test_wrong_codes_are_counted_and_five_stop_that_client():
    s = make_services()
    code = request_code(s)
    for n in range(1, 6):
        with pytest.raises(errors.SmsCodeInvalid):
            s.register_user(registration("000000"))
        assert s.store.sms.rows[0].attempts == n
    with pytest.raises(errors.SmsCodeInvalid):
        s.register_user(registration(code))
    assert s.store.users.rows == {} and reasons(s) == ["sms_code_invalid"] * 6
    assert s.register_user(registration(code, client=OTHER_CLIENT))  # the code still works from elsewhere


def test_nothing_is_hashed_before_the_code_is_right():
    s = make_services()
    code = request_code(s)
    s.hasher.hashed.clear()  # Login hashed its dummy password when it was built
    with pytest.raises(errors.SmsCodeInvalid):
        s.register_user(registration("000000"))
    assert s.hasher.hashed == []
    s.register_user(registration(code))
    assert s.hasher.hashed == [PASSWORD]


def test_no_code_requested():
    s = make_services()
    with pytest.raises(errors.SmsCodeInvalid) as exc:
        s.register_user(registration("123456"))
    assert exc.value.field == "vercode"


def test_code_for_another_purpose_does_not_register():
    s = make_services()
    add_user(s)
    code = request_code(s, purpose="reset_password")
    s.store.users.rows.clear()  # the account is gone; its reset code must not register a new one
    with pytest.raises(errors.SmsCodeInvalid):
        s.register_user(registration(code))


@pytest.mark.parametrize("seconds, ok", [(299, True), (300, False)])
def test_code_expires_after_five_minutes(seconds, ok):
    s = make_services()
    with freeze_time(NOW) as frozen:
        code = request_code(s)
        frozen.tick(seconds)
        if ok:
            assert s.register_user(registration(code))
        else:
            with pytest.raises(errors.SmsCodeInvalid):
                s.register_user(registration(code))


def test_only_the_newest_code_works():
    s = make_services(codes=FakeCodes(digits=["111111", "222222"]))
    with freeze_time(NOW) as frozen:
        old = request_code(s)
        frozen.tick(60)
        new = request_code(s)
        with pytest.raises(errors.SmsCodeInvalid):
            s.register_user(registration(old))
        assert s.register_user(registration(new))


def test_lost_race_on_the_unique_mobile_is_mobile_taken(monkeypatch):
    s = make_services()
    code = request_code(s)
    add_user(s)  # a concurrent registration that the existence check did not see
    monkeypatch.setattr(s.store.users, "get_by_mobile", lambda mobile: None)
    with pytest.raises(errors.MobileTaken):
        s.register_user(registration(code, nickname="Bob"))
    assert [u.nickname for u in s.store.users.rows.values()] == ["Alice"]
    assert s.store.events_of(EventType.USER_REGISTERED) == [] and reasons(s) == ["mobile_taken"]
    # The try was counted when the code was checked; spending it was rolled back with the user.
    assert s.store.sms.rows[0].attempts == 1 and not s.store.sms.rows[0].spent


def test_failed_commit_leaves_no_user_and_no_event():
    s = make_services()
    code = request_code(s)
    s.store.fail_next_commit = DatabaseDown()
    with pytest.raises(DatabaseDown):
        s.register_user(registration(code))
    assert s.store.users.rows == {}
    assert s.store.events_of(EventType.USER_REGISTERED) == []
    assert s.register_user(registration(code))  # the code was not spent either


def test_a_code_used_by_a_racing_sign_up_while_hashing_is_refused():
    s = make_services()
    code = request_code(s)
    hash_password = s.hasher.hash

    def hash_while_another_request_spends_the_code(password):
        s.store.sms.rows[-1].spent = True
        return hash_password(password)

    s.hasher.hash = hash_while_another_request_spends_the_code
    with pytest.raises(errors.SmsCodeInvalid):
        s.register_user(registration(code))
    assert s.store.users.rows == {} and reasons(s) == ["sms_code_invalid"]
