"""JSON endpoints: parse and type-check, call a use case, answer. Domain errors become HTTP in errors.py."""

from __future__ import annotations

import structlog
from flask import Blueprint, request
from flask_login import current_user, login_required

from domain.errors import InvalidInput
from domain.use_cases.change_nickname import NicknameChange
from domain.use_cases.change_password import PasswordChange
from domain.use_cases.issue_captcha import IssueCaptchaCommand
from domain.use_cases.login import Credentials
from domain.use_cases.logout import SignOut
from domain.use_cases.register_user import Registration
from domain.use_cases.request_sms_code import SmsCodeRequest
from domain.use_cases.reset_password import PasswordReset
from domain.use_cases.sign_out_everywhere import SignOutEverywhereCommand
from entrypoints.web.auth import end_session, renew_session, start_session
from entrypoints.web.context import client_context, services

api = Blueprint("api", __name__)

MAX_FIELD = 256
CHECKED = (True, "on", "true", "1")  # layui checkboxes post "on"; 1 == True counts too
UNCHECKED = (False, None, "", "off", "false", "0")


def json_object() -> dict:
    data = request.get_json(silent=True)  # None for malformed JSON or another content type
    if not isinstance(data, dict):
        raise InvalidInput("请求体必须是 JSON 对象")
    return data


def text(data: dict, name: str) -> str:
    """A required string field of bounded length."""
    value = data.get(name)
    if not isinstance(value, str) or len(value) > MAX_FIELD or not _encodable(value):
        raise InvalidInput(f"缺少或无效的字段：{name}", field=name)
    return value


def _encodable(value: str) -> bool:
    """JSON may carry lone surrogates ("\\ud800"); no UTF-8 text, hash or database column can hold them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checked(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if isinstance(value, (bool, int, str)) or value is None:  # lists and objects are not hashable answers
        if value in CHECKED:
            return True
        if value in UNCHECKED:
            return False
    raise InvalidInput(f"无效的字段：{name}", field=name)


def ok(message: str, **extra):
    return {"code": 0, "message": message, **extra}


@api.get("/get_captcha")
def get_captcha():
    image = services().issue_captcha(IssueCaptchaCommand(request.args.get("captcha_uuid", ""), client_context()))
    return image, 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}


def send_sms(purpose: str):
    data = json_object()
    sent = services().request_sms_code(
        SmsCodeRequest(text(data, "mobile"), text(data, "captcha_uuid"), text(data, "captcha"), client_context(),
                       purpose)
    )
    if not sent.recorded:  # the SMS went out; `accounts purge` will settle its row (README "SMS delivery")
        structlog.get_logger("sms").error("sms_outcome_not_recorded", provider=sent.provider,
                                          message_id=sent.message_id, error=sent.record_error)
    return ok("验证码已发送，5 分钟内有效")


@api.post("/api/send_register_sms")
def send_register_sms():
    return send_sms("register")


@api.post("/api/send_reset_sms")
def send_reset_sms():
    return send_sms("reset_password")


@api.post("/api/register")
def register():
    data = json_object()
    services().register_user(
        Registration(
            nickname=text(data, "nickname"),
            mobile=text(data, "mobile"),
            code=text(data, "vercode"),
            password=text(data, "password"),
            confirmation=text(data, "confirmPassword"),
            agreement=checked(data, "agreement"),
            client=client_context(),
        )
    )
    return ok("注册成功，请登录")


@api.post("/api/login")
def login():
    data = json_object()
    remember = checked(data, "remember")
    signed_in = services().login(
        Credentials(
            text(data, "mobile"), text(data, "password"), text(data, "captcha_uuid"), text(data, "captcha"),
            client_context(),
        )
    )
    start_session(signed_in.user_id, signed_in.nickname, signed_in.session_epoch, remember)
    return ok("登录成功")


@api.post("/api/logout")
def logout():
    if current_user.is_authenticated:
        services().logout(SignOut(current_user.user_id, current_user.session_id, client_context()))
    end_session()
    return ok("已退出登录")


@api.post("/api/reset_password")
def reset_password():
    data = json_object()
    services().reset_password(
        PasswordReset(text(data, "mobile"), text(data, "vercode"), text(data, "password"),
                      text(data, "confirmPassword"), client_context())
    )
    end_session()  # whoever was signed in here, every session of that account has ended
    return ok("密码已重置，请使用新密码登录")


@api.post("/api/account/nickname")
@login_required
def change_nickname():
    data = json_object()
    nickname = services().change_nickname(NicknameChange(current_user.user_id, text(data, "nickname"),
                                                         client_context()))
    return ok("昵称已修改", nickname=nickname)


@api.post("/api/account/password")
@login_required
def change_password():
    data = json_object()
    epoch = services().change_password(
        PasswordChange(current_user.user_id, text(data, "currentPassword"), text(data, "password"),
                       text(data, "confirmPassword"), client_context())
    )
    renew_session(epoch)  # this browser stays signed in; every other session has ended
    return ok("密码已修改，其他设备已退出登录")


@api.post("/api/account/sign_out_everywhere")
@login_required
def sign_out_everywhere():
    services().sign_out_everywhere(SignOutEverywhereCommand(current_user.user_id, client_context()))
    end_session()
    return ok("已退出所有设备")
