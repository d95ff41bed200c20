"""The console's JSON endpoints: sign-in, setup, sign-out and the actions on a user. Roles are checked by the
use cases (domain/use_cases/admin/); an auditor calling an action gets 403 `forbidden`."""

from __future__ import annotations

from flask import Blueprint, session

from adapters.qr import qr_svg_data_uri
from domain.use_cases.admin.enrolment import Enrolment
from domain.use_cases.admin.sign_in import OperatorCredentials
from domain.use_cases.admin.users import OperatorMobileChange, UserAction
from entrypoints.messages import say
from entrypoints.web.admin.auth import actor, end_operator_session, new_session_id, start_operator_session
from entrypoints.web.api import ok
from entrypoints.web.context import client_context, services
from entrypoints.web.request_schema import body

admin_api = Blueprint("admin_api", __name__, url_prefix="/api")


def console():
    return services().admin


@admin_api.post("/login")
def login():
    data = body()
    session_id = new_session_id()
    signed_in = console().sign_in(
        OperatorCredentials(data["username"], data["password"], data["code"], session_id, client_context())
    )
    start_operator_session(session_id)
    return ok(say("signed_in"), username=signed_in.username, role=str(signed_in.role))


@admin_api.post("/logout")
def logout():
    console().sign_out(actor(), session["sid"], client_context())
    end_operator_session()
    return ok(say("console.signed_out"))


@admin_api.post("/setup/start")
def setup_start():
    start = console().start_enrolment(body()["token"])
    return ok(
        say("console.enrolment_started"),
        username=start.username,
        role=start.role,
        qr=qr_svg_data_uri(start.provisioning_uri),
        key=start.manual_key,
    )


@admin_api.post("/setup/finish")
def setup_finish():
    data = body()
    codes = console().finish_enrolment(
        Enrolment(data["token"], data["password"], data["confirmPassword"], data["code"], client_context())
    )
    return ok(say("console.enrolled"), recovery_codes=codes)


def act(use_case, user_id: int):
    return use_case(UserAction(actor(), user_id, client_context()))


@admin_api.post("/users/<int:user_id>/mobile")
def reveal_mobile(user_id: int):
    return ok(say("console.mobile_revealed"), mobile=act(console().reveal_mobile, user_id))


@admin_api.post("/users/<int:user_id>/unlock")
def unlock(user_id: int):
    return ok(say("console.unlocked" if act(console().unlock_user, user_id) else "console.unlocked.not_locked"))


@admin_api.post("/users/<int:user_id>/disable")
def disable(user_id: int):
    return ok(say("console.disabled" if act(console().disable_user, user_id) else "console.disabled.already"))


@admin_api.post("/users/<int:user_id>/enable")
def enable(user_id: int):
    return ok(say("console.enabled" if act(console().enable_user, user_id) else "console.enabled.not_disabled"))


@admin_api.post("/users/<int:user_id>/end_sessions")
def end_sessions(user_id: int):
    act(console().end_user_sessions, user_id)
    return ok(say("console.sessions_ended"))


@admin_api.post("/users/<int:user_id>/change_mobile")
def change_mobile(user_id: int):
    """申诉 (docs/operator-console.md): admins only, with the reason; every session of the user ends."""
    data = body()
    console().change_user_mobile(
        OperatorMobileChange(actor(), user_id, data["mobile"], data["reason"], client_context())
    )
    return ok(say("console.mobile_changed"))
