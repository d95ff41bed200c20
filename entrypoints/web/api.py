"""JSON endpoints: parse and type-check, call a use case, answer. Domain errors become HTTP in errors.py."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_login import current_user

from domain.errors import InvalidInput
from domain.use_cases.issue_captcha import IssueCaptchaCommand
from domain.use_cases.login import Credentials
from domain.use_cases.logout import SignOut
from domain.use_cases.register_user import Registration
from domain.use_cases.request_sms_code import SmsCodeRequest
from entrypoints.web.auth import SessionUser, end_session, start_session
from entrypoints.web.context import client_context

api = Blueprint("api", __name__)

MAX_FIELD = 256
CHECKED = {True, "on", "true", "1", 1}  # layui checkboxes post "on"


def services():
    return current_app.extensions["services"]


def json_object() -> dict:
    data = request.get_json(silent=True)  # None for malformed JSON or another content type
    if not isinstance(data, dict):
        raise InvalidInput("请求体必须是 JSON 对象")
    return data


def text(data: dict, name: str) -> str:
    """A required string field of bounded length."""
    value = data.get(name)
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise InvalidInput(f"缺少或无效的字段：{name}", field=name)
    return value


def checked(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if value not in CHECKED and value not in (False, None, "", 0, "off", "false"):
        raise InvalidInput(f"无效的字段：{name}", field=name)
    return value in CHECKED


def ok(message: str, **extra):
    return {"code": 0, "message": message, **extra}


@api.get("/get_captcha")
def get_captcha():
    image = services().issue_captcha(IssueCaptchaCommand(request.args.get("captcha_uuid", ""), client_context()))
    return image, 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}


@api.post("/api/send_register_sms")
def send_register_sms():
    data = json_object()
    services().request_sms_code(
        SmsCodeRequest(
            text(data, "mobile"), text(data, "captcha_uuid"), text(data, "captcha"), client_context(), "register"
        )
    )
    return ok("验证码已发送，5 分钟内有效")


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
    start_session(SessionUser(signed_in.user_id, signed_in.nickname, signed_in.session_epoch), remember)
    return ok("登录成功")


@api.post("/api/logout")
def logout():
    if current_user.is_authenticated:
        services().logout(SignOut(current_user.user_id, client_context()))
    end_session()
    return ok("已退出登录")
