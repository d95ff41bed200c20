"""What every refusal says to a person, in one place: the web app (JSON `message`, error pages), the console
and the `accounts` commands all turn errors into words here.

Keys are a `DomainError.key` (`slug`, or `slug.reason`) or, for refusals the web layer makes itself, `http.<status>`
and a few slugs of its own. Templates are `str.format` strings filled from the error's facts
(`AccountLocked(minutes=15)` -> "... 请 15 分钟后再试"). A second language is a second dict with the same keys
(`tests/unit/test_messages.py` checks that every refusal has its words).
"""

from __future__ import annotations

from domain.errors import DomainError

ZH_CN = {
    "mobile_in_use": "该手机号已绑定其他账号",
    "mobile_unchanged": "新手机号与当前绑定的手机号相同",
    "current_code_invalid": "当前手机号收到的验证码错误或已失效",
    "default_nickname_prefix": "用户",  # an SMS-made account's nickname: this + the mobile's last four digits
    # domain/errors.py, in its order
    "invalid_request": "请求无效",
    "invalid_input": "请求参数有误",
    "invalid_input.captcha_id": "图片验证码标识无效，请刷新验证码",
    "invalid_input.api_key_name": "名称须为 1-{max} 个可见字符",
    "invalid_input.after_negative": "after 须为非负整数",
    "invalid_input.limit_out_of_range": "limit 须在 1-{max} 之间",
    "invalid_input.unknown_role": "角色须为 admin 或 auditor",
    "invalid_input.operator_disabled": "该操作员已停用",
    "invalid_input.json_object": "请求体必须是 JSON 对象",  # the web layer's own checks, from here to the console's
    "invalid_input.missing_field": "缺少或无效的字段：{name}",
    "invalid_input.receipts_array": "请求体必须是 1-{max} 条回执组成的 JSON 数组",  # SMS providers' receipts
    "invalid_input.field": "无效的字段：{name}",
    "invalid_input.parameter": "无效的参数：{name}",
    "invalid_input.time_format": "时间格式应为 YYYY-MM-DDTHH:MM",
    "invalid_input.unknown_event_type": "未知的事件类型",
    "invalid_input.mobile_format": "手机号格式不正确",
    "invalid_input.user_id_format": "用户 ID 应为数字",
    "invalid_mobile": "手机号格式不正确",
    "invalid_nickname": "昵称须为 1-{max} 个字符，且不能包含控制字符",
    "invalid_password": "密码须为 {min}-{max} 个字符，且不能包含控制字符",
    "weak_password": "密码过于常见，请换一个更安全的密码",
    "password_mismatch": "两次密码输入不一致",
    "agreement_required": "请阅读并勾选同意《用户协议》和《隐私政策》",
    "captcha_invalid": "图片验证码错误或已过期，请重新输入",
    "sms_code_invalid": "短信验证码错误或已失效",
    "sms_cooldown": "发送太频繁，请 {seconds} 秒后再试",
    "sms_limit": "今日获取验证码次数已达上限，请明天再试",
    "sms_limit.provider_throttled": "该手机号接收验证码过于频繁，请稍后再试",
    "invalid_mobile.provider_rejected": "该手机号无法接收短信，请检查号码是否正确",
    "sms_unavailable": "短信服务暂时不可用，请稍后再试",
    "mobile_taken": "该手机号已注册，请直接登录",
    "bad_credentials": "手机号或密码错误",
    "bad_credentials.operator": "用户名、密码或动态验证码错误",
    "account_locked": "密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
    "mobile_not_registered": "该手机号尚未注册",
    "current_password_invalid": "当前密码不正确",
    "same_password": "新密码不能与当前密码相同",
    "login_required": "请先登录",
    "login_required.console": "请先登录管理后台",
    "conflict": "请求冲突，请重试",
    "service_unavailable": "服务暂时不可用，请稍后再试",
    "api_key_invalid": "API 密钥无效或已撤销",
    "api_key_not_found": "API 密钥不存在",
    "webhook_url_invalid": "Webhook 地址无效：须为 https:// 地址（内网地址可用 http://）",
    "webhook_url_invalid.unresolvable_host": "无法解析主机名：{host}",
    "webhook_target_refused": "Webhook 地址指向内网、回环或链路本地地址，已拒绝",
    "event_types_invalid": "事件类型格式无效",
    "webhook_not_found": "Webhook 不存在",
    "session_not_found": "该登录设备不存在或已下线",
    "cross_site_request": "请在本站页面中获取验证码",
    "account_disabled": "该账号已被停用，如有疑问请联系客服",
    "forbidden": "您的角色无权执行此操作",
    "not_found": "要找的记录不存在",
    "not_found.user": "用户不存在",
    "not_found.operator": "没有这个操作员",
    "invalid_username": "用户名须为 3-32 位小写字母、数字、点、下划线或连字符，以字母开头",
    "username_taken": "该用户名已被使用",
    "setup_link_invalid": "设置链接无效、已使用或已过期，请联系管理员重新生成",
    "totp_invalid": "动态验证码错误，请输入验证器中当前显示的 6 位数字",
    # refusals of the web layer itself (entrypoints/web/errors.py)
    "http.400": "请求参数有误",
    "http.404": "页面不存在",
    "http.405": "请求方法不允许",
    "http.413": "请求内容过大",
    "http.429": "请求太频繁，请稍后再试",
    "http_error": "请求无法处理",
    "csrf_invalid": "页面已过期，请刷新后重试",
    "internal_error": "服务器开小差了，请稍后再试",
    # answers that are not refusals
    "sms_sent": "验证码已发送，{minutes} 分钟内有效",
}


def say(key: str, **facts) -> str:
    """The words for a key, filled from the facts."""
    return ZH_CN[key].format(**facts)


def message_for(error: DomainError) -> str:
    """The words for a refusal: its own key, else its slug's (a reason without words of its own)."""
    key = error.key if error.key in ZH_CN else error.slug
    return say(key, **error.facts)
