"""The console's JSON endpoints: sign-in, setup, sign-out and the actions on a user. Roles are checked by the
use cases (domain/use_cases/admin/); an auditor calling an action gets 403 `forbidden`."""

from __future__ import annotations

from flask import Blueprint, session

from adapters.qr import qr_svg_data_uri
from domain.use_cases.admin.enrolment import Enrolment
from domain.use_cases.admin.sign_in import OperatorCredentials
from domain.use_cases.admin.users import UserAction
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
    return ok("登录成功", username=signed_in.username, role=str(signed_in.role))


@admin_api.post("/logout")
def logout():
    console().sign_out(actor(), session["sid"], client_context())
    end_operator_session()
    return ok("已退出管理后台")


@admin_api.post("/setup/start")
def setup_start():
    start = console().start_enrolment(body()["token"])
    return ok(
        "请用验证器扫描二维码",
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
    return ok("设置完成，请保存恢复码后登录", recovery_codes=codes)


def act(use_case, user_id: int):
    return use_case(UserAction(actor(), user_id, client_context()))


@admin_api.post("/users/<int:user_id>/mobile")
def reveal_mobile(user_id: int):
    return ok("已显示完整手机号（本次查看已记录）", mobile=act(console().reveal_mobile, user_id))


@admin_api.post("/users/<int:user_id>/unlock")
def unlock(user_id: int):
    return ok("已解锁" if act(console().unlock_user, user_id) else "该账号未被锁定")


@admin_api.post("/users/<int:user_id>/disable")
def disable(user_id: int):
    return ok("已停用，该用户的所有会话已结束" if act(console().disable_user, user_id) else "该账号已是停用状态")


@admin_api.post("/users/<int:user_id>/enable")
def enable(user_id: int):
    return ok("已启用" if act(console().enable_user, user_id) else "该账号未被停用")


@admin_api.post("/users/<int:user_id>/end_sessions")
def end_sessions(user_id: int):
    act(console().end_user_sessions, user_id)
    return ok("该用户的所有会话已结束")
