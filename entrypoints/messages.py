"""Every word the service says to a person, in one place: refusals (JSON `message`, error pages, the `accounts`
commands), the answers of the JSON endpoints, the console's names for events and metrics, and the sentences the
pages' scripts show (rendered into each page as JSON, see `page_words`; no script writes a sentence of its own).

Keys are a `DomainError.key` (`slug`, or `slug.reason`) or, for refusals the web layer makes itself, `http.<status>`
and a few slugs of its own; an answer that is not a refusal has a key named for what happened (`signed_in`), the
console's answers start `console.` and the scripts' words `page.`. Templates are `str.format` strings filled from
the error's facts (`AccountLocked(minutes=15)` -> "... 请 15 分钟后再试"); the scripts fill the same `{name}`
placeholders. A second language is a second dict with the same keys (`tests/unit/test_messages.py` checks that
every refusal has its words, `tests/unit/test_words_live_in_the_catalogue.py` that no other module or script
writes one).
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
    "invalid_input.reason_required": "请填写更换原因：如何核实了用户身份，以及申诉工单号",
    "invalid_input.reason_too_long": "原因最多 {max} 个字",
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
    "nickname_reserved": "该昵称含有保留用语（如官方、客服、管理员），请换一个",
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
    "data_copy_limit": "下载我的数据过于频繁，请 {minutes} 分钟后再试",
    "mobile_taken": "该手机号已注册，请直接登录或找回密码",
    # Also the answer during a lock (a stranger must not learn that the account exists): the owner is told the way out.
    "bad_credentials": "手机号或密码错误。多次输错后密码登录将暂停一段时间，您可改用验证码登录或找回密码",
    "bad_credentials.operator": "用户名、密码或动态验证码错误",
    "account_locked": "密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
    "mobile_not_registered": "该手机号尚未注册，您可直接注册或使用验证码登录",
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
    "console_reads_limited": "查询太频繁，请 {seconds} 秒后再试",
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
    # answers that are not refusals (entrypoints/web/api.py)
    "sms_sent": "验证码已发送，{minutes} 分钟内有效",
    "registered": "注册成功，请登录",
    "signed_in": "登录成功",
    "signed_in.deletion_cancelled": "登录成功。您的注销申请已撤销，账号将继续保留",
    "signed_in.registered": "注册成功，已为您登录",
    "signed_out": "已退出登录",
    "password_reset": "密码已重置，请使用新密码登录",
    "nickname_changed": "昵称已修改",
    "password_changed": "密码已修改，其他设备已退出登录",
    "signed_out_everywhere": "已退出所有设备",
    "sessions_listed": "当前登录的设备",
    "session_revoked": "该设备已下线",
    "deletion_requested": (
        "注销申请已提交，您已在所有设备上退出登录。账号将于 {when}（北京时间）后永久删除；"
        "在此之前重新登录，即可撤销注销。"
    ),
    "password_acceptable": "密码可以使用",
    "mobile_changed": "手机号已更换，其他设备已退出登录",
    # the console's answers (entrypoints/web/admin/api.py)
    "console.signed_out": "已退出管理后台",
    "console.enrolment_started": "请用验证器扫描二维码",
    "console.enrolled": "设置完成，请保存恢复码后登录",
    "console.mobile_revealed": "已显示完整手机号（本次查看已记录）",
    "console.unlocked": "已解锁",
    "console.unlocked.not_locked": "该账号未被锁定",
    "console.disabled": "已停用，该用户的所有会话已结束",
    "console.disabled.already": "该账号已是停用状态",
    "console.enabled": "已启用",
    "console.enabled.not_disabled": "该账号未被停用",
    "console.sessions_ended": "该用户的所有会话已结束",
    "console.mobile_changed": "手机号已更换，该用户的所有会话已结束",
    "console.role.admin": "管理员",
    "console.role.auditor": "审计员",
    # what the pages' scripts say themselves: rendered into every page as JSON (see page_words), read by App.say
    "page.network_error": "网络异常，请检查网络后再试",
    "page.failed": "操作失败，请稍后再试",
    "page.required": "此项必填",
    "page.mobile_format": "手机号格式不正确，请填写 11 位手机号",
    "page.nickname_length": "昵称须为 1-{max} 个字符",
    "page.password_length": "密码须为 {min}-{max} 个字符",
    "page.show_password": "显示密码",
    "page.hide_password": "隐藏密码",
    "page.strength": "密码强度：{level}",
    "page.strength.0": "弱",
    "page.strength.1": "中",
    "page.strength.2": "强",
    "page.confirm_title": "请确认",
    "page.ok": "确定",
    "page.cancel": "取消",
    "page.close": "关闭",
    "page.captcha_failed": "图片验证码加载失败（请求太频繁或服务暂时不可用），请稍后点击“看不清？换一张”重试",
    "page.captcha_first": "请先填写图片验证码",
    "page.sms_sent": "验证码已发送",
    "page.resend_in_minutes": "{n} 分钟后重发",
    "page.resend_in_seconds": "{n} 秒后重发",
    "page.logout_question": "确定要退出登录吗？",
    "page.logout_title": "退出登录",
    "page.logout_ok": "退出",
    "page.logout_failed": "退出失败，请稍后再试",
    "page.registered_prefilled": "{message}：手机号已填好，请输入密码和图片验证码。",
    "page.deletion_cancelled_title": "注销已撤销",
    "page.got_it": "知道了",
    "page.understood_required": "请先阅读并勾选“我已阅读并了解以上内容”",
    "page.delete_question": (
        "确定要注销账号吗？提交后将立即退出所有设备；冷静期内重新登录可撤销，期满后账号将被永久删除。"
    ),
    "page.delete_title": "注销账号",
    "page.delete_ok": "确定注销",
    "page.deletion_requested": "注销申请已提交",
    "page.nickname_changed": "昵称已修改为：{nickname}",
    "page.password_changed": "密码已修改",
    "page.mobile_changed": "手机号已更换",
    "page.everywhere_question": "确定要在所有设备上退出登录吗？包括本浏览器，之后需要重新登录。",
    "page.everywhere_title": "退出所有设备",
    "page.signed_out_everywhere": "已在所有设备上退出登录，请重新登录",
    "page.sessions.none": "暂无登录设备",
    "page.sessions.unknown_device": "未知设备",
    "page.sessions.unknown": "未知",
    "page.sessions.this_device": "该设备",
    "page.sessions.device": "设备",
    "page.sessions.signed_in_at": "登录时间",
    "page.sessions.last_active_at": "最近活跃",
    "page.sessions.action": "操作",
    "page.sessions.current": "当前设备",
    "page.sessions.revoke": "下线",
    "page.sessions.revoke_label": "下线：{device}",
    "page.sessions.revoking": "下线中…",
    "page.sessions.revoked": "{device}：{message}",
    "page.sessions.revoke_question": "确定让“{device}”下线吗？该设备需要重新登录。",
    "page.sessions.revoke_title": "下线设备",
    "page.sessions.load_failed": "加载失败，请刷新页面重试",
    "page.sessions.load_refused": "登录设备加载失败，请刷新页面重试",
    "page.sessions.network_error": "网络异常，请检查网络后刷新页面",
    "page.console.fields_required": "请填写用户名、密码和动态验证码",
    "page.console.sign_in_failed": "登录失败，请稍后再试",
    "page.console.token_missing": "缺少设置链接中的令牌，请使用管理员发给您的完整链接",
    "page.console.link_invalid": "设置链接无效",
    "page.console.setup_failed": "设置失败，请稍后再试",
    # what the pages write outside a sentence
    "browser.wechat": "微信",
    "browser.unknown": "未知浏览器",
    "system.unknown": "未知系统",
    "duration.days": "{n} 天",
    "duration.hours": "{n} 小时",
    "duration.minutes": "{n} 分钟",
    "duration.seconds": "{n} 秒",
    # the copy of a person's data (entrypoints/web/data_copy.py)
    "data_copy.about": (
        "这是您在本服务的个人信息副本，于 generated_at 所示时间（UTC）按您的请求生成。account 为账号信息"
        "（密码只以不可逆的哈希保存，不在副本中）；consents 为您同意的协议及版本；sessions 为服务器保存的登录会话记录；"
        "events 为与您的账号相关的全部安全日志（按时间先后）。"
    ),
    "data_copy.filename": "个人信息副本-{day}.json",
}

# Server answers a page's script also falls back on when an answer carries no message of its own.
SHARED_WITH_PAGES = (
    "password_mismatch",
    "login_required",
    "agreement_required",
    "registered",
    "password_reset",
    "session_revoked",
    "console.role.admin",
    "console.role.auditor",
)

# The console's names for event types (by the type's value, as stored), in the audit filter's order.
EVENT_LABELS: dict[str, str] = {
    "sms_code.sent": "短信验证码已发送",
    "sms_code.refused": "短信发送被拒绝",
    "sms_code.send_failed": "短信发送失败",
    "sms_code.delivered": "短信已送达",
    "sms_code.delivery_failed": "短信未送达",
    "captcha.issued": "图片验证码已生成",
    "user.registered": "注册",
    "registration.refused": "注册被拒绝",
    "login.succeeded": "登录成功",
    "login.failed": "登录失败",
    "account.locked": "账号被锁定",
    "user.logged_out": "退出登录",
    "password.reset": "重置密码",
    "password_reset.refused": "重置密码被拒绝",
    "password.changed": "修改密码",
    "password_change.refused": "修改密码被拒绝",
    "nickname.changed": "修改昵称",
    "sessions.revoked": "退出所有设备",
    "account.deletion_requested": "申请注销",
    "password.set": "设置密码",
    "mobile.changed": "换绑手机号",
    "mobile_change.refused": "换绑手机号被拒绝",
    "mobile_change_notice.sent": "换绑提醒短信已发往原手机号",
    "mobile_change_notice.failed": "换绑提醒短信发送失败",
    "admin.operator_created": "后台：创建操作员",
    "admin.operator_reset": "后台：重置操作员",
    "admin.operator_disabled": "后台：停用操作员",
    "admin.enrolled": "后台：操作员完成设置",
    "admin.enrolment_refused": "后台：操作员设置被拒绝",
    "admin.signed_in": "后台：登录",
    "admin.sign_in_failed": "后台：登录失败",
    "admin.locked": "后台：操作员被锁定",
    "admin.signed_out": "后台：退出",
    "admin.mobile_viewed": "后台：查看完整手机号",
    "admin.user_unlocked": "后台：解锁用户",
    "admin.user_disabled": "后台：停用用户",
    "admin.user_enabled": "后台：启用用户",
    "admin.sessions_ended": "后台：结束用户所有会话",
    "admin.user_mobile_changed": "后台：更换用户手机号（申诉）",
    "admin.audit_exported": "后台：导出审计日志",
    "admin.action_refused": "后台：越权操作被拒绝",
}

# The dashboard's metrics.
METRIC_LABELS: dict[str, str] = {
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

# Why an event was refused, in the console's tables: short names of refusal slugs.
REASON_LABELS: dict[str, str] = {
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

# Why a sign-in failed, in the account's own sign-in log (profile.html): the reasons a person can act on.
SIGN_IN_REFUSALS: dict[str, str] = {
    "bad_credentials": "密码错误",
    "account_locked": "账号已锁定",
    "captcha_invalid": "验证码错误",
    "invalid_mobile": "手机号格式错误",
}

# The columns of the console's audit export (audit.csv).
# Nicknames people would take for the service's own, added to the Latin ones of domain/rules.py::Rules
# reserved_nicknames by the composition root; refused anywhere in a name, in look-alike spellings too.
RESERVED_NICKNAME_WORDS = ("官方", "客服", "管理员", "系统", "运营", "站长", "版主", "安全中心", "工作人员")

AUDIT_CSV_COLUMNS = ("时间（北京时间）", "事件", "类型", "用户 ID", "手机号", "IP", "User-Agent", "请求 ID", "详情")


def say(key: str, **facts) -> str:
    """The words for a key, filled from the facts."""
    return ZH_CN[key].format(**facts)


def message_for(error: DomainError) -> str:
    """The words for a refusal: its own key, else its slug's (a reason without words of its own)."""
    key = error.key if error.key in ZH_CN else error.slug
    return say(key, **error.facts)


def page_words() -> dict[str, str]:
    """The words the pages' scripts use, unfilled (`App.say(key, facts)` fills the `{name}` placeholders): no
    sentence is written in a script."""
    return {key: words for key, words in ZH_CN.items() if key.startswith("page.") or key in SHARED_WITH_PAGES}
