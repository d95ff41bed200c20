"""Operators on fakes: created and enrolled the way the CLI and the setup page do it."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.operators import Actor, Role
from domain.use_cases.admin.enrolment import Enrolment
from domain.use_cases.admin.sign_in import OperatorCredentials
from tests.builders import CLIENT
from tests.fakes import totp_code

OPERATOR_PASSWORD = "operator pass phrase"


def enrol(s, username: str = "wang", role: str = "admin", password: str = OPERATOR_PASSWORD) -> list[str]:
    """Create an operator and finish its setup; returns the recovery codes."""
    link = s.admin.create_operator(username, role, CLIENT)
    s.admin.start_enrolment(link.token)
    return s.admin.finish_enrolment(Enrolment(link.token, password, password, totp_code(), CLIENT))


def sign_in(
    s, username: str = "wang", password: str = OPERATOR_PASSWORD, code: str | None = None, session_id: str = "session-1"
) -> Actor:
    # One step ahead: the enrolment used this step's code, and each code works once.
    code = totp_code(datetime.now(UTC), steps_ahead=1) if code is None else code
    return s.admin.sign_in(OperatorCredentials(username, password, code, session_id, CLIENT))


def actor_of(s, username: str) -> Actor:
    operator = s.store.operators.get_by_username_for_update(username)
    return Actor(operator.id, operator.username, Role(operator.role))
