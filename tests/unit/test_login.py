"""Login: captcha first, indistinguishable failures, lockout, rehash, events."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, EventType
from domain.use_cases.login import SignedIn
from tests.builders import CLIENT, MOBILE, PASSWORD, add_user, credentials, make_services
from tests.fakes import DatabaseDown

NOW = "2024-01-01 12:00:00"


def fail(s, password="wrong password", mobile=MOBILE):
    """One login that must be refused; returns the error."""
    with pytest.raises(errors.DomainError) as exc:
        s.login(credentials(s, mobile, password))
    return exc.value


def test_success_returns_the_user_and_records_it():
    s = make_services()
    user = add_user(s)
    signed_in = s.login(credentials(s, " 13800138000 "))
    assert signed_in == SignedIn(user.id, "Alice", signed_in.session) and not signed_in.session.remember
    assert len(s.hasher.verify_calls) == 1
    [event] = s.store.events_of(EventType.LOGIN_SUCCEEDED)
    assert (event.mobile, event.user_id, event.client) == (MOBILE, user.id, CLIENT)
    assert event.detail == {"session": signed_in.session.public_id, "remember": False, "method": "password"}


def test_wrong_captcha_refused_before_any_password_check():
    s = make_services()
    user = add_user(s)
    with pytest.raises(errors.CaptchaInvalid):
        s.login(credentials(s, captcha="WXYZ"))
    assert s.hasher.verify_calls == [] and user.failed_logins == 0
    [event] = s.store.events_of(EventType.LOGIN_FAILED)
    assert (event.detail["reason"], event.client) == ("captcha_invalid", CLIENT)


def test_invalid_mobile():
    s = make_services()
    assert fail(s, mobile="12345").slug == "invalid_mobile"
    assert s.hasher.verify_calls == []
    assert s.store.events_of(EventType.LOGIN_FAILED)[0].detail["reason"] == "invalid_mobile"


def test_unknown_mobile_and_wrong_password_look_the_same():
    s = make_services()
    user = add_user(s)
    unknown = fail(s, PASSWORD, mobile="13900139000")
    assert len(s.hasher.verify_calls) == 1
    wrong = fail(s)
    assert len(s.hasher.verify_calls) == 2
    assert s.hasher.verify_calls[0][0] != user.password_hash  # a dummy hash for the unknown mobile
    assert (unknown.key, unknown.facts) == (wrong.key, wrong.facts) == ("bad_credentials", {})
    e1, e2 = s.store.events_of(EventType.LOGIN_FAILED)
    assert (e1.mobile, e1.user_id, e1.detail["reason"]) == ("13900139000", None, "bad_credentials")
    assert (e2.mobile, e2.user_id, e2.detail["reason"]) == (MOBILE, user.id, "bad_credentials")


def locked_for(s, mobile=MOBILE):
    """Seconds the account stays locked: what its owner and the console see, never the sign-in form."""
    return s.store.users.get_by_mobile(mobile).lock_remaining(s.clock.now())


def test_fifth_wrong_password_locks_for_15_minutes():
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW) as frozen:
        for _ in range(4):
            assert fail(s).slug == "bad_credentials"
            frozen.tick(1)
        locked = fail(s)
        assert (locked.key, locked.facts, locked.retry_after) == ("bad_credentials", {}, None)  # as for no account
        assert locked_for(s) == 900
        [event] = s.store.events_of(EventType.ACCOUNT_LOCKED)
        assert (event.user_id, event.mobile, event.client) == (user.id, MOBILE, CLIENT)
        assert event.detail["until"] == (event.occurred_at + timedelta(minutes=15)).isoformat()
        assert len(s.store.events_of(EventType.LOGIN_FAILED)) == 5

        frozen.tick(60)  # even the right password is refused, without checking it against the account's hash
        calls = len(s.hasher.verify_calls)
        still = fail(s, PASSWORD)
        assert (still.key, still.facts, still.retry_after) == ("bad_credentials", {}, None)
        assert len(s.hasher.verify_calls) == calls + 1  # the dummy: a lock costs what a wrong password costs
        assert s.hasher.verify_calls[-1][0] != user.password_hash
        assert s.store.events_of(EventType.LOGIN_FAILED)[-1].detail["reason"] == "account_locked"

        frozen.tick(timedelta(minutes=14))  # the lock has lifted, and the count starts afresh
        assert fail(s).slug == "bad_credentials"
        assert s.login(credentials(s)).user_id == user.id


def test_a_locked_account_answers_as_an_unknown_mobile_does():
    s = make_services()
    add_user(s)
    with freeze_time(NOW):
        for _ in range(5):
            fail(s)
        answers = [fail(s, PASSWORD), fail(s, PASSWORD, mobile="13900139000")]
    assert len({(a.key, repr(a.facts), a.field, a.retry_after, type(a)) for a in answers}) == 1
    assert answers[0].slug == "bad_credentials"


def test_only_the_try_that_armed_the_lock_reports_it(monkeypatch):
    s = make_services()
    user = add_user(s)
    verify = s.hasher.verify

    def verify_while_a_concurrent_try_locks(password_hash, password):
        user.failed_logins, user.locked_until = 5, s.clock.now() + timedelta(minutes=15)
        return verify(password_hash, password)

    monkeypatch.setattr(s.hasher, "verify", verify_while_a_concurrent_try_locks)
    assert fail(s).slug == "bad_credentials"
    assert s.store.events_of(EventType.ACCOUNT_LOCKED) == []


def test_failures_older_than_15_minutes_do_not_count():
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as frozen:
        for _ in range(4):
            fail(s)
        frozen.tick(timedelta(minutes=15, seconds=1))
        assert fail(s).slug == "bad_credentials"
    assert s.store.users.get_by_mobile(MOBILE).failed_logins == 1


def test_failures_within_15_minutes_count():
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as frozen:
        for _ in range(4):
            fail(s)
        frozen.tick(timedelta(minutes=14, seconds=59))
        assert fail(s).slug == "bad_credentials"
        assert locked_for(s) == 900


def test_success_resets_the_count():
    s = make_services()
    add_user(s)
    with freeze_time(NOW):
        for _ in range(4):
            fail(s)
        s.login(credentials(s))
        for _ in range(4):
            assert fail(s).slug == "bad_credentials"
    assert s.store.users.get_by_mobile(MOBILE).failed_logins == 4


def test_right_password_on_the_fifth_try_succeeds_and_clears_the_lock():
    s = make_services()
    add_user(s)
    with freeze_time(NOW):
        for _ in range(4):
            fail(s)
        s.login(credentials(s))
    user = s.store.users.get_by_mobile(MOBILE)
    assert (user.failed_logins, user.locked_until) == (0, None)


@pytest.mark.parametrize("rehash", [True, False])
def test_rehash_on_login(rehash):
    s = make_services()
    add_user(s)
    s.hasher.scheme, s.hasher.rehash = "hashed-v2", rehash
    s.login(credentials(s))
    expected = "hashed-v2:" if rehash else "hashed:"
    assert s.store.users.get_by_mobile(MOBILE).password_hash == expected + PASSWORD


def test_failed_commit_records_nothing():
    s = make_services()
    add_user(s)
    creds = credentials(s)
    s.store.fail_next_commit = DatabaseDown()
    with pytest.raises(DatabaseDown):
        s.login(creds)
    assert s.store.events_of(EventType.LOGIN_SUCCEEDED) == s.store.events_of(EventType.LOGIN_FAILED) == []
    assert s.store.users.get_by_mobile(MOBILE).failed_logins == 0
    assert creds.captcha_id in s.store.captchas.rows  # not even the captcha was spent


def test_failures_spread_across_a_window_edge_still_lock():
    """The count restarts only after 15 quiet minutes, so 4 + 1 failures a minute apart lock,
    even when the first of them is more than 15 minutes old by the last."""
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as frozen:
        for _ in range(4):
            assert fail(s).slug == "bad_credentials"
            frozen.tick(timedelta(minutes=4))
        assert fail(s).slug == "bad_credentials"
        assert locked_for(s) == 900  # first failure 16 minutes ago, none 15 minutes apart


def test_the_stored_hash_is_what_is_asked_whether_it_needs_rehashing():
    s = make_services()
    add_user(s)
    asked = []
    s.hasher.needs_rehash = lambda password_hash: asked.append(password_hash) or False
    s.login(credentials(s))
    assert asked == ["hashed:correct horse"]


def test_every_dummy_hash_is_a_hash_of_text_as_argon2_requires():
    s = make_services()
    assert s.hasher.hashed and all(isinstance(password, str) for password in s.hasher.hashed)


def test_the_failure_that_locks_records_both_events_in_full():
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW):
        for _ in range(5):
            fail(s)
    t = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    failed = AuditEvent(EventType.LOGIN_FAILED, t, CLIENT, "13800138000", user.id, {"reason": "bad_credentials"})
    locked = AuditEvent(
        EventType.ACCOUNT_LOCKED, t, CLIENT, "13800138000", user.id, {"until": "2024-01-01T12:15:00+00:00"}
    )
    assert s.store.events == [failed] * 5 + [locked]
