"""Chinese names of what the console shows: event types, dashboard metrics, refusal reasons."""

from __future__ import annotations

from domain.events import EventType

EVENT_LABELS: dict[str, str] = {
    EventType.SMS_CODE_SENT: "短信验证码已发送",
    EventType.SMS_CODE_REFUSED: "短信发送被拒绝",
    EventType.SMS_CODE_SEND_FAILED: "短信发送失败",
    "sms_code.delivered": "短信已送达",
    "sms_code.delivery_failed": "短信未送达",
    EventType.CAPTCHA_ISSUED: "图片验证码已生成",
    EventType.USER_REGISTERED: "注册",
    EventType.REGISTRATION_REFUSED: "注册被拒绝",
    EventType.LOGIN_SUCCEEDED: "登录成功",
    EventType.LOGIN_FAILED: "登录失败",
    EventType.ACCOUNT_LOCKED: "账号被锁定",
    EventType.USER_LOGGED_OUT: "退出登录",
    EventType.PASSWORD_RESET: "重置密码",
    EventType.PASSWORD_RESET_REFUSED: "重置密码被拒绝",
    EventType.PASSWORD_CHANGED: "修改密码",
    EventType.PASSWORD_CHANGE_REFUSED: "修改密码被拒绝",
    EventType.NICKNAME_CHANGED: "修改昵称",
    EventType.SESSIONS_REVOKED: "退出所有设备",
    "account.deletion_requested": "申请注销",
    "password.set": "设置密码",
    "mobile.changed": "换绑手机号",
    "mobile_change.refused": "换绑手机号被拒绝",
    EventType.ADMIN_OPERATOR_CREATED: "后台：创建操作员",
    EventType.ADMIN_OPERATOR_RESET: "后台：重置操作员",
    EventType.ADMIN_OPERATOR_DISABLED: "后台：停用操作员",
    EventType.ADMIN_ENROLLED: "后台：操作员完成设置",
    EventType.ADMIN_ENROLMENT_REFUSED: "后台：操作员设置被拒绝",
    EventType.ADMIN_SIGNED_IN: "后台：登录",
    EventType.ADMIN_SIGN_IN_FAILED: "后台：登录失败",
    EventType.ADMIN_LOCKED: "后台：操作员被锁定",
    EventType.ADMIN_SIGNED_OUT: "后台：退出",
    EventType.ADMIN_MOBILE_VIEWED: "后台：查看完整手机号",
    EventType.ADMIN_USER_UNLOCKED: "后台：解锁用户",
    EventType.ADMIN_USER_DISABLED: "后台：停用用户",
    EventType.ADMIN_USER_ENABLED: "后台：启用用户",
    EventType.ADMIN_SESSIONS_ENDED: "后台：结束用户所有会话",
    EventType.ADMIN_AUDIT_EXPORTED: "后台：导出审计日志",
    EventType.ADMIN_ACTION_REFUSED: "后台：越权操作被拒绝",
}
EVENT_LABELS = {str(key): value for key, value in EVENT_LABELS.items()}

METRIC_LABELS = {
    "registrations": "注册",
    "sign_ins_password": "密码登录",
    "sign_ins_sms": "验证码登录",
    "sign_in_failures": "登录失败",
    "lockouts": "账号锁定",
    "sms_sent": "短信发送",
    "sms_refused": "短信拒发",
    "sms_failed": "短信失败",
    "sms_delivered": "短信送达",
    "cancellations": "注销申请",
}

REASON_LABELS = {
    "captcha_invalid": "图片验证码错误",
    "invalid_mobile": "手机号格式错误",
    "mobile_taken": "手机号已注册",
    "mobile_not_registered": "手机号未注册",
    "sms_cooldown": "发送过于频繁",
    "sms_limit": "超过每日上限",
    "bad_credentials": "密码错误",
    "account_locked": "账号已锁定",
    "account_disabled": "账号已停用",
    "forbidden": "无权限",
}
