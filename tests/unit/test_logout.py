"""Logout and LoadSessionUser."""

from domain.events import EventType
from domain.use_cases.logout import SignOut
from tests.fakes import CLIENT, MOBILE, add_user, make_services


def test_logout_records_the_event_and_ends_that_session_only():
    s = make_services()
    user = add_user(s)
    s.logout(SignOut(user.id, "session-a", CLIENT))
    [event] = s.store.events
    assert (event.type, event.user_id, event.mobile, event.client) == (EventType.LOGGED_OUT, user.id, MOBILE, CLIENT)
    assert s.load_session_user(user.id, 0, "session-a") is None  # a replayed copy of its cookie is refused
    assert s.load_session_user(user.id, 0, "session-b") is user  # another device stays signed in
    assert "session-a" not in str(s.store.sessions.rows)  # only a keyed digest of the id is kept


def test_logging_out_twice_is_harmless():
    s = make_services()
    user = add_user(s)
    s.logout(SignOut(user.id, "session-a", CLIENT))
    s.logout(SignOut(user.id, "session-a", CLIENT))
    assert len(s.store.sessions.rows) == 1


def test_session_user_is_loaded_only_while_the_epoch_matches():
    s = make_services()
    user = add_user(s)
    assert s.load_session_user(user.id, 0, "sid") is user
    user.session_epoch = 1  # e.g. after a password reset
    assert s.load_session_user(user.id, 0, "sid") is None
    assert s.load_session_user(user.id, 1, "sid") is user
    assert s.load_session_user(999, 0, "sid") is None
