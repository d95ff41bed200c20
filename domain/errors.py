"""Refusals the use cases raise. The slug is the API's stable `error`; the message is for the user."""

from __future__ import annotations


class DomainError(Exception):
    slug = "invalid_request"
    message = "请求无效"
    field: str | None = None  # the form field the message belongs next to

    def __init__(self, message: str | None = None, *, field: str | None = None, retry_after: int | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        if field is not None:
            self.field = field
        self.retry_after = retry_after  # seconds, for refusals that end by themselves


class InvalidInput(DomainError):
    slug, message = "invalid_input", "请求参数有误"


class InvalidMobile(DomainError):
    slug, message, field = "invalid_mobile", "手机号格式不正确", "mobile"


class InvalidNickname(DomainError):
    slug, message, field = "invalid_nickname", "昵称须为 1-32 个字符，且不能包含控制字符", "nickname"


class InvalidPassword(DomainError):
    slug, message, field = "invalid_password", "密码须为 8-128 个字符，且不能包含控制字符", "password"


class WeakPassword(DomainError):
    slug, message, field = "weak_password", "密码过于常见，请换一个更安全的密码", "password"


class PasswordMismatch(DomainError):
    slug, message, field = "password_mismatch", "两次密码输入不一致", "confirmPassword"


class AgreementRequired(DomainError):
    slug, message, field = "agreement_required", "请阅读并勾选同意《用户协议》和《隐私政策》", "agreement"


class CaptchaInvalid(DomainError):
    slug, message, field = "captcha_invalid", "图片验证码错误或已过期，请重新输入", "captcha"


class SmsCodeInvalid(DomainError):
    slug, message, field = "sms_code_invalid", "短信验证码错误或已失效", "vercode"


class SmsCooldown(DomainError):
    slug, message, field = "sms_cooldown", "发送太频繁，请稍后再试", "mobile"


class SmsLimitReached(DomainError):
    slug, message, field = "sms_limit", "今日获取验证码次数已达上限，请明天再试", "mobile"


class SmsUnavailable(DomainError):
    slug, message = "sms_unavailable", "短信服务暂时不可用，请稍后再试"


class MobileTaken(DomainError):
    slug, message, field = "mobile_taken", "该手机号已注册，请直接登录", "mobile"


class BadCredentials(DomainError):
    slug, message = "bad_credentials", "手机号或密码错误"


class AccountLocked(DomainError):
    slug, message = "account_locked", "密码错误次数过多，账号已锁定"


class MobileNotRegistered(DomainError):
    slug, message, field = "mobile_not_registered", "该手机号尚未注册", "mobile"


class CurrentPasswordInvalid(DomainError):
    slug, message, field = "current_password_invalid", "当前密码不正确", "currentPassword"


class SamePassword(DomainError):
    slug, message, field = "same_password", "新密码不能与当前密码相同", "password"


class LoginRequired(DomainError):
    slug, message = "login_required", "请先登录"


class Conflict(DomainError):
    """A write lost a race against a concurrent one (a unique constraint said no)."""

    slug, message = "conflict", "请求冲突，请重试"


class StorageUnavailable(DomainError):
    slug, message = "service_unavailable", "服务暂时不可用，请稍后再试"


class ApiKeyInvalid(DomainError):
    """Missing, unknown or revoked API key on an internal endpoint."""

    slug, message = "api_key_invalid", "API 密钥无效或已撤销"


class ApiKeyNotFound(DomainError):
    slug, message = "api_key_not_found", "API 密钥不存在"


class WebhookUrlInvalid(DomainError):
    slug, message, field = "webhook_url_invalid", "Webhook 地址无效：须为 https:// 地址（内网地址可用 http://）", "url"


class WebhookTargetRefused(DomainError):
    """The URL points at a private, loopback or link-local address (SSRF) and that was not allowed."""

    slug, message, field = "webhook_target_refused", "Webhook 地址指向内网、回环或链路本地地址，已拒绝", "url"


class EventTypesInvalid(DomainError):
    slug, message, field = "event_types_invalid", "事件类型格式无效", "types"


class WebhookNotFound(DomainError):
    slug, message = "webhook_not_found", "Webhook 不存在"


class SessionNotFound(DomainError):
    """No live session of this user has that public id: another user's id gets the same answer as a made-up one."""

    slug, message = "session_not_found", "该登录设备不存在或已下线"


class CrossSiteRequest(DomainError):
    """Another site's page asked for something only our own pages may ask for (an <img> of our captcha)."""

    slug, message = "cross_site_request", "请在本站页面中获取验证码"


# --- the operator console (管理后台) ---


class AccountDisabled(DomainError):
    slug, message = "account_disabled", "该账号已被停用，如有疑问请联系客服"


class Forbidden(DomainError):
    slug, message = "forbidden", "您的角色无权执行此操作"


class NotFound(DomainError):
    slug, message = "not_found", "要找的记录不存在"


class InvalidUsername(DomainError):
    slug, message, field = "invalid_username", "用户名须为 3-32 位小写字母、数字、点、下划线或连字符，以字母开头", "username"


class UsernameTaken(DomainError):
    slug, message, field = "username_taken", "该用户名已被使用", "username"


class SetupLinkInvalid(DomainError):
    slug, message = "setup_link_invalid", "设置链接无效、已使用或已过期，请联系管理员重新生成"


class TotpInvalid(DomainError):
    slug, message, field = "totp_invalid", "动态验证码错误，请输入验证器中当前显示的 6 位数字", "code"


# --- 验证码登录 and 换绑手机号 ---------------------------------------------------------------------------------


class MobileInUse(DomainError):
    slug, message, field = "mobile_in_use", "该手机号已绑定其他账号", "mobile"


class MobileUnchanged(DomainError):
    slug, message, field = "mobile_unchanged", "新手机号与当前绑定的手机号相同", "mobile"


class CurrentCodeInvalid(DomainError):
    """The code sent to the account's current mobile (how an account without a password proves it is its owner)."""

    slug, message, field = "current_code_invalid", "当前手机号收到的验证码错误或已失效", "currentVercode"


# --- what an SMS provider said (raised by SmsSender adapters, see domain/ports.py) -----------------------------


class SmsNumberThrottled(SmsLimitReached):
    """The provider's own per-number flow control refused the message: nothing was sent, no other provider is
    tried (it would only spend the number's allowance there too)."""

    message = "该手机号接收验证码过于频繁，请稍后再试"

    def __init__(self, provider: str, provider_code: str):
        super().__init__(retry_after=60)
        self.provider, self.provider_code = provider, provider_code


class SmsNumberRejected(InvalidMobile):
    """The provider says this number cannot receive messages (invalid, or on a block list)."""

    message = "该手机号无法接收短信，请检查号码是否正确"

    def __init__(self, provider: str, provider_code: str):
        super().__init__()
        self.provider, self.provider_code = provider, provider_code


class SmsProviderFailed(Exception):
    """A provider-side failure (network, timeout, HTTP 5xx, credentials, signature, template, balance): the next
    provider may succeed. Not a DomainError: the use case turns it into SmsUnavailable. `code` is the provider's
    error code or one of ours (timeout, network_error, bad_response); never a secret or the message text."""

    def __init__(self, provider: str, code: str):
        super().__init__(f"{provider}: {code}")
        self.provider, self.code = provider, code
