"""Logout and LoadSessionUser."""

from domain.events import EventType
from domain.use_cases.logout import SignOut
from tests.fakes import CLIENT, MOBILE, add_user, make_services


def test_logout_records_the_event():
    s = make_services()
    user = add_user(s)
    s.logout(SignOut(user.id, CLIENT))
    [event] = s.store.events
    assert (event.type, event.user_id, event.mobile, event.client) == (EventType.LOGGED_OUT, user.id, MOBILE, CLIENT)


def test_logout_of_an_unknown_user_records_nothing():
    s = make_services()
    s.logout(SignOut(42, CLIENT))
    assert s.store.events == []


def test_session_user_is_loaded_only_while_the_epoch_matches():
    s = make_services()
    user = add_user(s)
    assert s.load_session_user(user.id, 0) is user
    user.session_epoch = 1  # e.g. after a password reset
    assert s.load_session_user(user.id, 0) is None
    assert s.load_session_user(user.id, 1) is user
    assert s.load_session_user(999, 0) is None
