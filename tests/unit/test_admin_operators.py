"""Operators: created, reset, disabled and listed from the command line; setup links work once."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import EventType
from domain.use_cases.admin.enrolment import Enrolment
from tests.fakes import CLIENT, FakeCodes, make_services, totp_code
from tests.unit.admin_helpers import OPERATOR_PASSWORD, enrol, sign_in

NOW = "2026-03-01 08:00:00"


def test_create_keeps_only_a_digest_of_the_setup_link_and_records_it():
    s = make_services(codes=FakeCodes(texts=["a" * 32]))
    link = s.admin.create_operator(" Wang ", "auditor", CLIENT)
    [operator] = s.admin.list_operators()
    assert (link.username, link.token, operator.username, operator.role) == ("wang", "a" * 32, "wang", "auditor")
    assert operator.setup_digest not in (None, link.token) and operator.password_hash is None
    [event] = s.store.events_of(EventType.ADMIN_OPERATOR_CREATED)
    assert event.detail == {"operator_id": operator.id, "operator": "wang", "role": "auditor"}


@pytest.mark.parametrize("username", ["ab", "1wang", "wang wei", "王伟", "a" * 33, "wang/../x"])
def test_bad_usernames_are_refused(username):
    s = make_services()
    with pytest.raises(errors.InvalidUsername):
        s.admin.create_operator(username, "admin", CLIENT)
    assert s.store.events == []


def test_unknown_role_and_taken_username_are_refused():
    s = make_services()
    with pytest.raises(errors.InvalidInput):
        s.admin.create_operator("wang", "root", CLIENT)
    s.admin.create_operator("wang", "admin", CLIENT)
    with pytest.raises(errors.UsernameTaken):
        s.admin.create_operator("WANG", "auditor", CLIENT)
    assert len(s.store.events_of(EventType.ADMIN_OPERATOR_CREATED)) == 1


def test_a_setup_link_works_once():
    s = make_services()
    link = s.admin.create_operator("wang", "admin", CLIENT)
    assert s.admin.start_enrolment(link.token).username == "wang"
    s.admin.finish_enrolment(Enrolment(link.token, OPERATOR_PASSWORD, OPERATOR_PASSWORD, totp_code(), CLIENT))
    with pytest.raises(errors.SetupLinkInvalid):
        s.admin.start_enrolment(link.token)
    with pytest.raises(errors.SetupLinkInvalid):
        s.admin.finish_enrolment(Enrolment(link.token, "another pass phrase", "another pass phrase", totp_code(),
                                           CLIENT))


def test_a_setup_link_expires_after_a_day():
    s = make_services()
    with freeze_time(NOW) as clock:
        link = s.admin.create_operator("wang", "admin", CLIENT)
        clock.tick(timedelta(hours=24))
        with pytest.raises(errors.SetupLinkInvalid):
            s.admin.start_enrolment(link.token)
    with pytest.raises(errors.SetupLinkInvalid):
        s.admin.start_enrolment("not-a-token")


def test_reset_voids_every_factor_and_session_and_gives_a_new_link():
    s = make_services(codes=FakeCodes(texts=["a" * 32] + ["r" * 12] * 10 + ["b" * 32]))
    with freeze_time(NOW) as clock:
        enrol(s)
        sign_in(s)
        link = s.admin.reset_operator("wang", CLIENT)
        assert link.token == "b" * 32
        [session] = s.store.operator_sessions.rows.values()
        assert session.ended_at is not None
        clock.tick(timedelta(seconds=90))
        with pytest.raises(errors.BadCredentials):  # the old password and a fresh code no longer sign in
            sign_in(s, session_id="session-2", code=totp_code())
        assert s.admin.start_enrolment(link.token).username == "wang"
    assert s.store.events_of(EventType.ADMIN_OPERATOR_RESET)[0].detail["operator"] == "wang"


def test_disable_ends_sessions_and_sign_in_and_only_records_a_change():
    s = make_services()
    with freeze_time(NOW) as clock:
        enrol(s)
        sign_in(s)
        assert s.admin.load_session("session-1") is not None
        assert s.admin.disable_operator("wang", CLIENT) is True
        assert s.admin.disable_operator("wang", CLIENT) is False
        assert len(s.store.events_of(EventType.ADMIN_OPERATOR_DISABLED)) == 1
        assert s.admin.load_session("session-1") is None
        clock.tick(timedelta(seconds=90))
        with pytest.raises(errors.BadCredentials):
            sign_in(s, session_id="session-2", code=totp_code())
    with pytest.raises(errors.NotFound):
        s.admin.disable_operator("nobody", CLIENT)
