"""Operator enrolment and sign-in: password + TOTP (or a recovery code, once), lockout as for users, sessions that
end after 8 hours or 30 idle minutes."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.operators import Role
from domain.use_cases.admin.enrolment import Enrolment, EnrolmentStart
from domain.use_cases.admin.sign_in import OperatorCredentials
from tests.builders import CLIENT, make_services
from tests.fakes import FakeCodes, totp_code
from tests.unit.admin_helpers import OPERATOR_PASSWORD, enrol, sign_in

NOW = "2026-03-01 08:00:00"


def refused(s, **kwargs) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as exc:
        sign_in(s, **kwargs)
    return exc.value


# --- enrolment ------------------------------------------------------------------------------------


def test_enrolment_shows_the_same_secret_until_finished_and_keeps_recovery_codes_hashed():
    s = make_services(codes=FakeCodes(texts=["t" * 32] + [f"code{n:08d}" for n in range(10)]))
    link = s.admin.create_operator("wang", "admin", CLIENT)
    first, again = s.admin.start_enrolment(link.token), s.admin.start_enrolment(link.token)
    assert first == again and first.provisioning_uri.startswith("otpauth://totp/wang")
    codes = s.admin.finish_enrolment(Enrolment(link.token, OPERATOR_PASSWORD, OPERATOR_PASSWORD, totp_code(), CLIENT))
    assert codes[0] == "code-0000-0000" and len(codes) == 10
    operator = s.store.operators.rows[1]
    assert operator.enrolled_at is not None and operator.setup_digest is None
    assert operator.password_hash == s.hasher.hash(OPERATOR_PASSWORD)
    assert len(operator.recovery_codes) == 10 and not any("code" in d for d in operator.recovery_codes)
    [event] = s.store.events_of(EventType.ADMIN_ENROLLED)
    assert event.detail == {"operator_id": 1, "operator": "wang"}


@pytest.mark.parametrize(
    "password, confirmation, code, slug",
    [
        ("short", "short", None, "invalid_password"),
        (OPERATOR_PASSWORD, "something else", None, "password_mismatch"),
        ("password123", "password123", None, "weak_password"),
        (OPERATOR_PASSWORD, OPERATOR_PASSWORD, "000000", "totp_invalid"),
    ],
)
def test_enrolment_refusals_leave_the_link_usable(password, confirmation, code, slug):
    s = make_services()
    link = s.admin.create_operator("wang", "admin", CLIENT)
    s.admin.start_enrolment(link.token)
    with pytest.raises(errors.DomainError) as exc:
        s.admin.finish_enrolment(Enrolment(link.token, password, confirmation, code or totp_code(), CLIENT))
    assert exc.value.slug == slug
    assert s.store.operators.rows[1].enrolled_at is None
    assert s.store.events_of(EventType.ADMIN_ENROLMENT_REFUSED)[0].detail["reason"] == slug
    s.admin.finish_enrolment(Enrolment(link.token, OPERATOR_PASSWORD, OPERATOR_PASSWORD, totp_code(), CLIENT))


def test_an_operator_who_never_enrolled_cannot_sign_in():
    s = make_services()
    s.admin.create_operator("wang", "admin", CLIENT)
    assert refused(s, password="").slug == "bad_credentials"


# --- sign-in --------------------------------------------------------------------------------------


def test_sign_in_starts_a_server_side_session_and_records_it():
    s = make_services()
    enrol(s, role="auditor")
    actor = sign_in(s, session_id="the-cookie-id")
    assert (actor.username, actor.role) == ("wang", Role.AUDITOR)
    [session] = s.store.operator_sessions.rows.values()
    assert session.digest != "the-cookie-id" and session.ended_at is None
    assert s.admin.load_session("the-cookie-id") == actor
    [event] = s.store.events_of(EventType.ADMIN_SIGNED_IN)
    assert event.detail == {"operator_id": actor.operator_id, "operator": "wang", "factor": "totp"}
    assert event.client == CLIENT and event.user_id is None


@pytest.mark.parametrize("field", ["username", "password", "code"])
def test_every_wrong_factor_gets_one_generic_answer(field):
    s = make_services()
    enrol(s)
    wrong = {"username": {"username": "li"}, "password": {"password": "wrong pass phrase"}, "code": {"code": "999999"}}[
        field
    ]
    error = refused(s, **wrong)
    assert (error.slug, error.key, error.facts) == ("bad_credentials", "bad_credentials.operator", {})
    assert s.store.operator_sessions.rows == {}
    [event] = s.store.events_of(EventType.ADMIN_SIGN_IN_FAILED)
    assert event.detail["reason"] == "bad_credentials"


def test_an_unknown_username_costs_a_password_verify_too():
    s = make_services()
    enrol(s)
    before = len(s.hasher.verify_calls)
    refused(s, username="nobody")
    assert len(s.hasher.verify_calls) == before + 1


@pytest.mark.parametrize("typed", ["My Secret Pass!", "correcthorsebattery", "li"])
def test_what_was_typed_as_a_username_is_recorded_only_when_it_names_an_operator(typed):
    s = make_services()
    enrol(s)
    refused(s, username=typed)
    refused(s, username=" WANG ", password="wrong pass phrase")
    assert [e.detail["username"] for e in s.store.events_of(EventType.ADMIN_SIGN_IN_FAILED)] == ["(unknown)", "wang"]


def test_a_totp_code_works_once():
    s = make_services()
    with freeze_time(NOW) as clock:
        enrol(s)
        code = totp_code(steps_ahead=1)
        sign_in(s, code=code, session_id="a")
        clock.tick(timedelta(seconds=5))
        assert refused(s, code=code, session_id="b").slug == "bad_credentials"
        assert refused(s, code=totp_code(), session_id="c").slug == "bad_credentials"  # older than the last one
        clock.tick(timedelta(seconds=60))
        sign_in(s, code=totp_code(), session_id="d")


def test_codes_one_step_off_are_accepted_two_are_not():
    s = make_services()
    with freeze_time(NOW):
        enrol(s)
        assert refused(s, code=totp_code(steps_ahead=2)).slug == "bad_credentials"
        sign_in(s, code=totp_code(steps_ahead=1))


def test_a_recovery_code_signs_in_once():
    s = make_services(codes=FakeCodes(texts=["t" * 32] + [f"code{n:08d}" for n in range(10)]))
    codes = enrol(s)
    sign_in(s, code=codes[3].upper().replace("-", " "), session_id="a")
    assert refused(s, code=codes[3], session_id="b").slug == "bad_credentials"
    assert len(s.store.operators.rows[1].recovery_codes) == 9
    assert s.store.events_of(EventType.ADMIN_SIGNED_IN)[0].detail["factor"] == "recovery_code"


def test_five_failures_lock_the_operator_for_fifteen_minutes():
    s = make_services()
    with freeze_time(NOW) as clock:
        enrol(s)
        for _ in range(4):
            assert refused(s, password="wrong pass phrase").slug == "bad_credentials"
        unknown = refused(s, username="nobody")
        locked = refused(s, password="wrong pass phrase")  # the answer says nothing of the lock it armed
        assert (locked.key, locked.facts, locked.retry_after) == (unknown.key, unknown.facts, unknown.retry_after)
        assert s.store.events_of(EventType.ADMIN_LOCKED)[0].detail["operator_id"] == 1
        during = refused(s)  # the right password too, while the lock lasts, answered as any wrong one
        assert (during.key, during.facts, during.retry_after) == (unknown.key, unknown.facts, unknown.retry_after)
        assert s.store.events_of(EventType.ADMIN_SIGN_IN_FAILED)[-1].detail["reason"] == "account_locked"
        clock.tick(timedelta(minutes=14, seconds=59))
        assert refused(s).slug == "bad_credentials"
        clock.tick(timedelta(seconds=1))
        sign_in(s)
    assert len(s.store.events_of(EventType.ADMIN_LOCKED)) == 1


def test_a_wrong_code_with_the_right_password_counts_towards_the_lock():
    s = make_services()
    with freeze_time(NOW):
        enrol(s)
        for _ in range(5):
            refused(s, code="123123")
        assert s.store.operators.rows[1].locked_until is not None


# --- sessions -------------------------------------------------------------------------------------


def test_a_session_ends_after_thirty_idle_minutes():
    s = make_services()
    with freeze_time(NOW) as clock:
        enrol(s)
        sign_in(s)
        clock.tick(timedelta(minutes=29))
        assert s.admin.load_session("session-1") is not None  # and this request counts as activity
        clock.tick(timedelta(minutes=29))
        assert s.admin.load_session("session-1") is not None
        clock.tick(timedelta(minutes=30))
        assert s.admin.load_session("session-1") is None


def test_a_busy_session_still_ends_eight_hours_after_sign_in():
    s = make_services()
    with freeze_time(NOW) as clock:
        enrol(s)
        sign_in(s)
        for _ in range(8 * 3):
            assert s.admin.load_session("session-1") is not None
            clock.tick(timedelta(minutes=20))
        assert s.admin.load_session("session-1") is None


def test_sign_out_ends_the_session_for_good():
    s = make_services()
    enrol(s)
    actor = sign_in(s)
    s.admin.sign_out(actor, "session-1", CLIENT)
    s.admin.sign_out(actor, "session-1", CLIENT)  # again: nothing more happens
    assert s.admin.load_session("session-1") is None
    assert len(s.store.events_of(EventType.ADMIN_SIGNED_OUT)) == 1
    assert s.admin.load_session("never-issued") is None


# --- every field stored and recorded; the races and edges -------------------------------------------------

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TOKEN_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def test_starting_an_enrolment_shows_the_role_the_uri_and_the_key_to_type():
    s = make_services()
    link = s.admin.create_operator("wang", "auditor", CLIENT)
    assert s.admin.start_enrolment(link.token) == EnrolmentStart(
        "wang", "auditor", "otpauth://totp/wang?secret=secret-1", "secret-1"
    )


def test_ten_recovery_codes_of_12_unambiguous_characters_and_the_code_checked_against_the_operators_secret():
    s = make_services()
    link = s.admin.create_operator("wang", "admin", CLIENT)
    s.admin.start_enrolment(link.token)
    secrets = []
    matching_step = s.totp.matching_step
    s.totp.matching_step = lambda secret, code, now: secrets.append(secret) or matching_step(secret, code, now)
    s.codes.calls.clear()
    s.admin.finish_enrolment(Enrolment(link.token, OPERATOR_PASSWORD, OPERATOR_PASSWORD, totp_code(), CLIENT))
    assert s.codes.calls == [("text", TOKEN_LETTERS, 12)] * 10
    assert secrets == ["sealed:secret-1"]
    sign_in(s)
    assert secrets[-1] == "sealed:secret-1"


def test_a_dead_setup_link_is_refused_and_recorded():
    s = make_services()
    with freeze_time(T0), pytest.raises(errors.SetupLinkInvalid):
        s.admin.finish_enrolment(Enrolment("no such link", OPERATOR_PASSWORD, OPERATOR_PASSWORD, "123456", CLIENT))
    assert s.store.events_of(EventType.ADMIN_ENROLMENT_REFUSED) == [
        AuditEvent(EventType.ADMIN_ENROLMENT_REFUSED, T0, CLIENT, None, None, {"reason": "setup_link_invalid"})
    ]


def test_a_setup_link_used_by_a_racing_request_while_hashing_is_refused():
    s = make_services()
    link = s.admin.create_operator("wang", "admin", CLIENT)
    s.admin.start_enrolment(link.token)
    operator = s.store.operators.get_by_username_for_update("wang")
    hash_password = s.hasher.hash

    def hash_while_another_request_enrols(password):
        operator.setup_digest = None
        return hash_password(password)

    s.hasher.hash = hash_while_another_request_enrols
    with freeze_time(T0), pytest.raises(errors.SetupLinkInvalid):
        s.admin.finish_enrolment(Enrolment(link.token, OPERATOR_PASSWORD, OPERATOR_PASSWORD, totp_code(), CLIENT))
    assert operator.enrolled_at is None
    assert s.store.events_of(EventType.ADMIN_ENROLMENT_REFUSED) == [
        AuditEvent(
            EventType.ADMIN_ENROLMENT_REFUSED,
            T0,
            CLIENT,
            None,
            None,
            {"operator_id": operator.id, "operator": "wang", "reason": "setup_link_invalid"},
        )
    ]


def test_the_failure_that_locks_an_operator_records_both_events_in_full_and_the_lock_refusal_too():
    s = make_services()
    with freeze_time(T0):
        enrol(s)
        for _ in range(5):
            refused(s, password="wrong pass phrase")
        refused(s)
    who = {"username": "wang", "operator_id": 1}
    failed = s.store.events_of(EventType.ADMIN_SIGN_IN_FAILED)
    assert failed[4:] == [
        AuditEvent(EventType.ADMIN_SIGN_IN_FAILED, T0, CLIENT, None, None, {**who, "reason": "bad_credentials"}),
        AuditEvent(EventType.ADMIN_SIGN_IN_FAILED, T0, CLIENT, None, None, {**who, "reason": "account_locked"}),
    ]
    assert s.store.events_of(EventType.ADMIN_LOCKED) == [
        AuditEvent(EventType.ADMIN_LOCKED, T0, CLIENT, None, None, {**who, "until": "2026-03-01T08:15:00+00:00"})
    ]


def test_only_the_try_that_armed_the_operators_lock_reports_it():
    """A racing try locks the operator while this one's password is verified: this failure is a plain refusal,
    and admin.locked is the other try's to record."""
    s = make_services()
    enrol(s)
    verify = s.hasher.verify

    def verify_while_a_concurrent_try_locks(password_hash, password):
        operator = s.store.operators.rows[1]
        operator.failed_logins, operator.locked_until = 5, datetime.now(UTC) + timedelta(minutes=15)
        return verify(password_hash, password)

    s.hasher.verify = verify_while_a_concurrent_try_locks
    assert refused(s, password="wrong pass phrase").slug == "bad_credentials"
    assert s.store.events_of(EventType.ADMIN_LOCKED) == []


@pytest.mark.parametrize("user_agent, kept", [("pytest", "pytest"), (None, None), ("u" * 600, "u" * 512)])
def test_a_console_session_keeps_where_it_signed_in_from(user_agent, kept):
    s = make_services()
    enrol(s)
    s.admin.sign_in(
        OperatorCredentials(
            "wang",
            OPERATOR_PASSWORD,
            totp_code(steps_ahead=1),
            "session-1",
            ClientContext(ip="198.51.100.4", user_agent=user_agent),
        )
    )
    [session] = s.store.operator_sessions.rows.values()
    assert (session.ip, session.user_agent) == ("198.51.100.4", kept)


def test_a_disabled_operators_live_session_lets_nobody_in():
    s = make_services()
    enrol(s)
    sign_in(s)
    s.store.operators.get_by_username_for_update("wang").disabled_at = datetime.now(UTC)
    assert s.admin.load_session("session-1") is None


def test_a_session_is_touched_when_a_minute_has_passed():
    s = make_services()
    with freeze_time(T0) as clock:
        enrol(s)
        sign_in(s)
        [session] = s.store.operator_sessions.rows.values()
        clock.tick(timedelta(seconds=59))
        s.admin.load_session("session-1")
        assert session.last_seen_at == T0
        clock.tick(timedelta(seconds=1))
        s.admin.load_session("session-1")
        assert session.last_seen_at == T0 + timedelta(minutes=1)


def test_signing_out_is_recorded_in_full():
    s = make_services()
    enrol(s)
    actor = sign_in(s)
    with freeze_time(T0):
        s.admin.sign_out(actor, "session-1", CLIENT)
    assert s.store.events_of(EventType.ADMIN_SIGNED_OUT) == [
        AuditEvent(
            EventType.ADMIN_SIGNED_OUT, T0, CLIENT, None, None, {"operator_id": actor.operator_id, "operator": "wang"}
        )
    ]
