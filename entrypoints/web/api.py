"""JSON endpoints: read the body openapi.json describes (request_schema.py checks its shape), call a use case,
answer. Domain errors become HTTP in errors.py."""

from __future__ import annotations

import structlog
from flask import Blueprint, request
from flask_login import current_user, login_required

from domain.local_time import BEIJING
from domain.model import SmsPurpose
from domain.use_cases.change_mobile import MobileChange
from domain.use_cases.change_nickname import NicknameChange
from domain.use_cases.change_password import PasswordChange
from domain.use_cases.delete_account import DeletionRequest
from domain.use_cases.export_account_data import DataExportRequest
from domain.use_cases.issue_captcha import CaptchaRequest
from domain.use_cases.login import Credentials
from domain.use_cases.login_sms import SmsCredentials
from domain.use_cases.logout import SignOut
from domain.use_cases.register_user import Registration
from domain.use_cases.request_sms_code import SmsCodeRequest
from domain.use_cases.reset_password import PasswordReset
from domain.use_cases.revoke_session import SessionRevocation
from domain.use_cases.sign_out_everywhere import SignOutEverywhereRequest
from entrypoints.messages import say
from entrypoints.web import data_copy
from entrypoints.web.auth import end_session, session_token, signed_in_token, start_session
from entrypoints.web.context import client_context, services
from entrypoints.web.pages import browser_name
from entrypoints.web.request_schema import body
from entrypoints.web.security import spend_account_allowance

api = Blueprint("api", __name__)


def ok(message: str, **extra):
    return {"code": 0, "message": message, **extra}


@api.get("/get_captcha")
def get_captcha():
    image = services().issue_captcha(CaptchaRequest(request.args.get("captcha_uuid", ""), client_context()))
    return image, 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}


def send_sms(purpose: SmsPurpose, *, user_id: int | None = None, own_mobile: bool = False):
    """own_mobile: to the signed-in account's own mobile, which the request does not carry."""
    data = body()
    sent = services().request_sms_code(
        SmsCodeRequest(
            None if own_mobile else data["mobile"],
            data["captcha_uuid"],
            data["captcha"],
            client_context(),
            purpose,
            user_id,
        )
    )
    if not sent.recorded:  # the SMS went out; `accounts purge` will settle its row (docs/sms-providers.md)
        structlog.get_logger("sms").error(
            "sms_outcome_not_recorded", provider=sent.provider, message_id=sent.message_id, error=sent.record_error
        )
    minutes = int(services().rules.sms_code_ttl.total_seconds() // 60)
    return ok(say("sms_sent", minutes=minutes))


@api.post("/api/send_register_sms")
def send_register_sms():
    return send_sms(SmsPurpose.REGISTER)


@api.post("/api/send_reset_sms")
def send_reset_sms():
    return send_sms(SmsPurpose.RESET_PASSWORD)


@api.post("/api/register")
def register():
    data = body()
    services().register_user(
        Registration(
            nickname=data["nickname"],
            mobile=data["mobile"],
            code=data["vercode"],
            password=data["password"],
            confirmation=data["confirmPassword"],
            agreement=data["agreement"],
            client=client_context(),
        )
    )
    return ok(say("registered"))


@api.post("/api/login")
def login():
    data = body()
    signed_in = services().login(
        Credentials(
            data["mobile"], data["password"], data["captcha_uuid"], data["captcha"], client_context(), data["remember"]
        )
    )
    start_session(signed_in.session)
    if signed_in.deletion_cancelled:
        return ok(say("signed_in.deletion_cancelled"), deletion_cancelled=True)
    return ok(say("signed_in"))


@api.post("/api/logout")
def logout():
    if token := session_token():
        services().logout(SignOut(token, client_context()))  # a session already ended is left as it is
    end_session()
    return ok(say("signed_out"))


@api.post("/api/reset_password")
def reset_password():
    data = body()
    services().reset_password(
        PasswordReset(data["mobile"], data["vercode"], data["password"], data["confirmPassword"], client_context())
    )
    end_session()  # whoever was signed in here, every session of that account has ended
    return ok(say("password_reset"))


@api.post("/api/account/nickname")
@login_required
def change_nickname():
    nickname = services().change_nickname(NicknameChange(current_user.user_id, body()["nickname"], client_context()))
    return ok(say("nickname_changed"), nickname=nickname)


@api.post("/api/account/password")
@login_required
def change_password():
    data = body()
    current = data.get("currentPassword", "")  # none: an account without one
    renewed = services().change_password(
        PasswordChange(
            current_user.user_id,
            current,
            data["password"],
            data["confirmPassword"],
            client_context(),
            signed_in_token(),
            data.get("vercode"),  # an account without a password: the code sent to its own mobile
        )
    )
    start_session(renewed)  # this browser stays signed in under a new id, with its 记住我; every other session ended
    return ok(say("password_changed"))


@api.post("/api/account/password/send_code")
@login_required
def send_set_password_code():
    """For an account without a password: the 忘记密码 code, to its own mobile, that proves the owner."""
    return send_sms(SmsPurpose.RESET_PASSWORD, user_id=current_user.user_id, own_mobile=True)


@api.post("/api/account/sign_out_everywhere")
@login_required
def sign_out_everywhere():
    services().sign_out_everywhere(SignOutEverywhereRequest(current_user.user_id, client_context()))
    end_session()
    return ok(say("signed_out_everywhere"))


# --- signed-in devices ---------------------------------------------------------------------------------


@api.get("/api/account/sessions")
@login_required
def list_sessions():
    current = current_user.session_public_id
    sessions = sorted(services().list_sessions(current_user.user_id), key=lambda s: s.public_id != current)
    listed = [
        {
            "id": s.public_id,
            "device": browser_name(s.user_agent),
            "user_agent": s.user_agent,
            "ip": s.ip,
            "signed_in_at": s.created_at.isoformat(),
            "last_active_at": s.last_seen_at.isoformat(),
            "remember": s.remember,
            "current": s.public_id == current,
        }
        for s in sessions
    ]
    return ok(say("sessions_listed"), sessions=listed), 200, {"Cache-Control": "no-store"}


@api.post("/api/account/sessions/<public_id>/revoke")
@login_required
def revoke_session(public_id: str):
    services().revoke_session(SessionRevocation(current_user.user_id, public_id, client_context()))
    if public_id == current_user.session_public_id:
        end_session()  # this browser's own session: it is signed out here as well
    return ok(say("session_revoked"))


@api.post("/api/account/delete")
@login_required
def delete_account():
    data = body()
    code = data.get("vercode")  # an SMS code instead of the password
    password = None if code is not None else data["currentPassword"]
    due = services().request_account_deletion(DeletionRequest(current_user.user_id, password, client_context(), code))
    end_session()  # every session of the account has ended, this one too
    when = due.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return ok(say("deletion_requested", when=when), due_at=due.isoformat())


@api.get("/api/account/export")
@login_required
def export_account_data():
    return data_copy.download(services().export_account_data(DataExportRequest(current_user.user_id, client_context())))


@api.post("/api/check_password")
def check_password():
    """Sign-up and reset pages ask before they let the visitor spend an SMS on a password that would be refused."""
    services().check_new_password(body()["password"])
    return ok(say("password_acceptable"))


# --- sign-in with an SMS code, and a new mobile ------------------------------------------------------------


@api.post("/api/send_login_sms")
def send_login_sms():
    return send_sms(SmsPurpose.LOGIN)  # any valid mobile, registered or not, and the same answer for both


@api.post("/api/login_sms")
def login_sms():
    data = body()
    signed_in = services().login_with_sms(
        SmsCredentials(data["mobile"], data["vercode"], client_context(), data["remember"], data["agreement"])
    )
    start_session(signed_in.session)
    extra = {"registered": signed_in.registered, "deletion_cancelled": signed_in.deletion_cancelled}
    if signed_in.deletion_cancelled:
        return ok(say("signed_in.deletion_cancelled"), **extra)
    return ok(say("signed_in.registered" if signed_in.registered else "signed_in"), **extra)


@api.post("/api/account/mobile/send_code")
@login_required
def send_change_mobile_code():
    # To the new mobile. The answer may say that another account has it (mobile_in_use): that is for the owner, and
    # per account rate-limited, so that no account probes many numbers.
    rules = services().rules
    window = int(rules.sms_cap_window.total_seconds())
    spend_account_allowance("change_mobile_code", current_user.user_id, rules.change_mobile_codes_per_account, window)
    return send_sms(SmsPurpose.CHANGE_MOBILE, user_id=current_user.user_id)


@api.post("/api/account/mobile/send_current_code")
@login_required
def send_current_mobile_code():
    """The code to the account's current mobile that 换绑 asks of every account."""
    return send_sms(SmsPurpose.CHANGE_MOBILE, user_id=current_user.user_id, own_mobile=True)


@api.post("/api/account/mobile")
@login_required
def change_mobile():
    data = body()
    renewed = services().change_mobile(
        MobileChange(
            current_user.user_id,
            data["mobile"],
            data["vercode"],
            data.get("currentPassword"),
            data.get("currentVercode"),
            client_context(),
            signed_in_token(),
        )
    )
    start_session(renewed)  # this browser stays signed in under a new id; every other session ended
    return ok(say("mobile_changed"))


@api.post("/api/account/delete/send_code")
@login_required
def send_delete_account_code():
    return send_sms(SmsPurpose.DELETE_ACCOUNT, user_id=current_user.user_id, own_mobile=True)
