"""Refusals the use cases raise. They say what happened, never how to say it to a person.

Each refusal carries a stable `slug` (the API's `error`), the form `field` it belongs next to (if any), an
optional finer `reason` (when one slug has several causes, e.g. `InvalidInput("unknown_role", field="role")`) and
the facts a message quotes, as keywords (`AccountLocked(minutes=15, retry_after=900)`, `SmsCooldown(seconds=42)`).
The words live in one catalogue in the entrypoints, `entrypoints/messages.py`: `error.key` (`slug`, or
`slug.reason`) -> a template in Simplified Chinese filled from `error.facts`.

To add a refusal: a subclass here with `slug` (and `field` where one applies), its template in
`entrypoints/messages.py::ZH_CN` under the same key, its HTTP status in `STATUS` in `entrypoints/web/errors.py`.
No Chinese in this package (`tests/unit/test_domain_has_no_ui_text.py` fails on any CJK string literal).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    slug = "invalid_request"
    field: str | None = None  # the form field the message belongs next to

    def __init__(
        self, reason: str | None = None, *, field: str | None = None, retry_after: int | None = None, **facts: Any
    ):
        self.reason = reason  # a finer slug for the message; the API's `error` stays `slug`
        self.facts = facts  # what the message quotes: numbers (minutes, seconds, limits) or names
        if field is not None:
            self.field = field
        self.retry_after = retry_after  # seconds, for refusals that end by themselves
        super().__init__(self.key, facts)

    @property
    def key(self) -> str:
        """What the message catalogue looks up."""
        return f"{self.slug}.{self.reason}" if self.reason else self.slug


class InvalidInput(DomainError):
    slug = "invalid_input"


class InvalidMobile(DomainError):
    slug, field = "invalid_mobile", "mobile"


class InvalidNickname(DomainError):
    slug, field = "invalid_nickname", "nickname"


class NicknameReserved(DomainError):
    """The nickname is, or looks like, a name people would take for the service's own (admin, 官方客服)."""

    slug, field = "nickname_reserved", "nickname"


class InvalidPassword(DomainError):
    slug, field = "invalid_password", "password"


class WeakPassword(DomainError):
    slug, field = "weak_password", "password"


class PasswordMismatch(DomainError):
    slug, field = "password_mismatch", "confirmPassword"


class AgreementRequired(DomainError):
    slug, field = "agreement_required", "agreement"


class CaptchaInvalid(DomainError):
    slug, field = "captcha_invalid", "captcha"


class SmsCodeInvalid(DomainError):
    slug, field = "sms_code_invalid", "vercode"


class SmsCooldown(DomainError):
    slug, field = "sms_cooldown", "mobile"


class SmsLimitReached(DomainError):
    slug, field = "sms_limit", "mobile"


class DataCopyLimitReached(DomainError):
    slug = "data_copy_limit"


class SmsUnavailable(DomainError):
    slug = "sms_unavailable"


class MobileTaken(DomainError):
    slug, field = "mobile_taken", "mobile"


class BadCredentials(DomainError):
    slug = "bad_credentials"


class AccountLocked(DomainError):
    slug = "account_locked"

    @classmethod
    def for_seconds(cls, seconds: int) -> AccountLocked:
        """Locked for `seconds` more: the message quotes whole minutes, rounded up (61 s left is 2 minutes)."""
        return cls(minutes=-(-seconds // 60), retry_after=seconds)


class MobileNotRegistered(DomainError):
    slug, field = "mobile_not_registered", "mobile"


class CurrentPasswordInvalid(DomainError):
    slug, field = "current_password_invalid", "currentPassword"


class SamePassword(DomainError):
    slug, field = "same_password", "password"


class LoginRequired(DomainError):
    slug = "login_required"


class Conflict(DomainError):
    """A write lost a race against a concurrent one (a unique constraint said no)."""

    slug = "conflict"


class ApiKeyInvalid(DomainError):
    """Missing, unknown or revoked API key on an internal endpoint."""

    slug = "api_key_invalid"


class ApiKeyNotFound(DomainError):
    slug = "api_key_not_found"


class WebhookUrlInvalid(DomainError):
    slug, field = "webhook_url_invalid", "url"


class WebhookTargetRefused(DomainError):
    """The URL points at a private, loopback or link-local address (SSRF) and that was not allowed."""

    slug, field = "webhook_target_refused", "url"


class EventTypesInvalid(DomainError):
    slug, field = "event_types_invalid", "types"


class WebhookNotFound(DomainError):
    slug = "webhook_not_found"


class SessionNotFound(DomainError):
    """No live session of this user has that public id: another user's id gets the same answer as a made-up one."""

    slug = "session_not_found"


class CrossSiteRequest(DomainError):
    """Another site's page asked for something only our own pages may ask for (an <img> of our captcha)."""

    slug = "cross_site_request"


# --- the operator console (管理后台) ---


class AccountDisabled(DomainError):
    slug = "account_disabled"


class ConsoleReadsLimited(DomainError):
    """An operator read more console pages than the rules allow in a minute or an hour."""

    slug = "console_reads_limited"


class Forbidden(DomainError):
    slug = "forbidden"


class NotFound(DomainError):
    slug = "not_found"


class InvalidUsername(DomainError):
    slug, field = "invalid_username", "username"


class UsernameTaken(DomainError):
    slug, field = "username_taken", "username"


class SetupLinkInvalid(DomainError):
    slug = "setup_link_invalid"


class TotpInvalid(DomainError):
    slug, field = "totp_invalid", "code"


# --- 验证码登录 and 换绑手机号 ---------------------------------------------------------------------------------


class MobileInUse(DomainError):
    slug, field = "mobile_in_use", "mobile"


class MobileUnchanged(DomainError):
    slug, field = "mobile_unchanged", "mobile"


class CurrentCodeInvalid(DomainError):
    """The code sent to the account's current mobile (how an account without a password proves it is its owner)."""

    slug, field = "current_code_invalid", "currentVercode"


# --- what an SMS provider said (raised by SmsSender adapters, see domain/ports.py) -----------------------------


class SmsNumberThrottled(SmsLimitReached):
    """The provider's own per-number flow control refused the message: nothing was sent, no other provider is
    tried (it would only spend the number's allowance there too)."""

    def __init__(self, provider: str | None = None, provider_code: str | None = None):
        super().__init__("provider_throttled", retry_after=60)
        self.provider, self.provider_code = provider, provider_code


class SmsNumberRejected(InvalidMobile):
    """The provider says this number cannot receive messages (invalid, or on a block list)."""

    def __init__(self, provider: str | None = None, provider_code: str | None = None):
        super().__init__("provider_rejected")
        self.provider, self.provider_code = provider, provider_code


class SmsProviderFailed(Exception):
    """A provider-side failure (network, timeout, HTTP 5xx, credentials, signature, template, balance): the next
    provider may succeed. Not a DomainError: the use case turns it into SmsUnavailable. `code` is the provider's
    error code or one of ours (timeout, network_error, bad_response); never a secret or the message text."""

    def __init__(self, provider: str, code: str):
        super().__init__(f"{provider}: {code}")
        self.provider, self.code = provider, code
