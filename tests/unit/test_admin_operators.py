"""Operators: created, reset, disabled and listed from the command line; setup links work once."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, EventType
from domain.use_cases.admin.enrolment import Enrolment
from domain.use_cases.admin.operators import SetupLink
from tests.builders import CLIENT, make_services
from tests.fakes import FakeCodes, totp_code
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
        s.admin.finish_enrolment(
            Enrolment(link.token, "another pass phrase", "another pass phrase", totp_code(), CLIENT)
        )


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


# --- every field stored, returned and recorded -----------------------------------------------------------

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TOKEN_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def test_a_setup_link_is_32_unambiguous_characters_and_lasts_a_day():
    s = make_services(codes=FakeCodes(texts=["a" * 32]))
    with freeze_time(T0):
        link = s.admin.create_operator("wang", "auditor", CLIENT)
    assert s.codes.calls == [("text", TOKEN_LETTERS, 32)]
    assert link == SetupLink("wang", "a" * 32, T0 + timedelta(hours=24))
    operator = s.store.operators.get_by_username_for_update("wang")
    assert (operator.created_at, operator.setup_expires_at) == (T0, T0 + timedelta(hours=24))


def test_refusals_of_operator_commands_say_which_part_is_wrong():
    s = make_services()
    with pytest.raises(errors.InvalidInput) as role:
        s.admin.create_operator("wang", "root", CLIENT)
    with pytest.raises(errors.NotFound) as missing:
        s.admin.reset_operator("nobody", CLIENT)
    s.admin.create_operator("wang", "admin", CLIENT)
    s.admin.disable_operator("wang", CLIENT)
    with pytest.raises(errors.InvalidInput) as disabled:
        s.admin.reset_operator("wang", CLIENT)
    assert [(e.key, e.field) for e in (role.value, missing.value, disabled.value)] == [
        ("invalid_input.unknown_role", "role"),
        ("not_found.operator", None),
        ("invalid_input.operator_disabled", "username"),
    ]


def test_disabling_clears_the_setup_link_ends_sessions_then_and_records_it_in_full():
    s = make_services()
    with freeze_time(T0):
        enrol(s)
        sign_in(s)
        operator = s.store.operators.get_by_username_for_update("wang")
        s.admin.disable_operator("wang", CLIENT)
    assert (operator.disabled_at, operator.setup_digest, operator.setup_expires_at) == (T0, None, None)
    [session] = s.store.operator_sessions.rows.values()
    assert session.ended_at == T0
    assert s.store.events_of(EventType.ADMIN_OPERATOR_DISABLED) == [
        AuditEvent(
            EventType.ADMIN_OPERATOR_DISABLED, T0, CLIENT, None, None, {"operator_id": operator.id, "operator": "wang"}
        )
    ]


def test_a_reset_clears_every_factor_and_records_it_in_full():
    s = make_services(codes=FakeCodes(texts=["a" * 32] + ["r" * 12] * 10 + ["b" * 32]))
    with freeze_time(T0):
        enrol(s)
        sign_in(s)
        operator = s.store.operators.get_by_username_for_update("wang")
        s.codes.calls.clear()
        link = s.admin.reset_operator(" WANG ", CLIENT)
    assert s.codes.calls == [("text", TOKEN_LETTERS, 32)]
    assert link == SetupLink("wang", "b" * 32, T0 + timedelta(hours=24))
    assert (
        operator.password_hash,
        operator.totp_secret,
        operator.enrolled_at,
        operator.recovery_codes,
        operator.last_totp_step,
    ) == (None, None, None, [], 0)
    [session] = s.store.operator_sessions.rows.values()
    assert session.ended_at == T0
    assert s.store.events_of(EventType.ADMIN_OPERATOR_RESET) == [
        AuditEvent(
            EventType.ADMIN_OPERATOR_RESET, T0, CLIENT, None, None, {"operator_id": operator.id, "operator": "wang"}
        )
    ]
