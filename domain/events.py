"""Audit events: facts in the past tense, recorded by the use cases and stored with the change they describe.

One dataclass for all of them keeps the append-only log a single table that any type can be read from;
the type names and the fields each carries are listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Required, TypedDict


class EventType(StrEnum):
    """Each member is named for its value (upper case, "." as "_"); the values are stored and sent to webhooks, so
    they never change."""

    SMS_CODE_SENT = "sms_code.sent"  # detail.provider, detail.message_id; detail.confirmed false: docs/sms-providers.md
    SMS_CODE_REFUSED = "sms_code.refused"  # detail.reason: a refusal slug
    SMS_CODE_SEND_FAILED = "sms_code.send_failed"  # detail.reason, detail.provider, detail.provider_code
    CAPTCHA_ISSUED = "captcha.issued"  # no longer recorded (an image view is no account event); older rows have it
    USER_REGISTERED = "user.registered"
    REGISTRATION_REFUSED = "registration.refused"  # detail.reason
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"  # detail.reason
    ACCOUNT_LOCKED = "account.locked"  # detail.until
    USER_LOGGED_OUT = "user.logged_out"
    PASSWORD_RESET = "password.reset"
    PASSWORD_RESET_REFUSED = "password_reset.refused"  # detail.reason
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_CHANGE_REFUSED = "password_change.refused"  # detail.reason
    NICKNAME_CHANGED = "nickname.changed"
    SESSIONS_REVOKED = "sessions.revoked"  # 退出所有设备: every session of the account ended; detail.ended: how many
    API_KEY_CREATED = "api_key.created"  # detail.key_id, detail.name
    API_KEY_REVOKED = "api_key.revoked"  # detail.key_id, detail.name
    API_KEY_USED = "api_key.used"  # detail.key_id, detail.name, detail.endpoint; once a minute per key
    WEBHOOK_ADDED = "webhook.added"  # detail.endpoint_id, detail.host, detail.types
    WEBHOOK_REMOVED = "webhook.removed"  # detail.endpoint_id, detail.host
    WEBHOOK_REPLAYED = "webhook.replayed"  # detail.endpoint_id (null: all), detail.deliveries
    SESSION_REVOKED = "session.revoked"  # 下线: one session ended from another; detail.session: its public id
    ACCOUNT_DELETION_REQUESTED = "account.deletion_requested"  # detail.due_at
    ACCOUNT_DELETION_REFUSED = "account_deletion.refused"  # detail.reason
    ACCOUNT_DELETION_CANCELLED = "account.deletion_cancelled"
    ACCOUNT_ERASED = "account.erased"  # mobile: the pseudonym; detail.events_pseudonymized
    DATA_EXPORTED = "data.exported"  # recorded as the copy starts streaming to its owner
    CONSENT_GIVEN = "consent.given"  # detail.documents: {document: version}
    # Operators (管理后台): detail.operator_id and detail.operator name who acted; user_id and mobile name the
    # user acted on, where there is one.
    ADMIN_OPERATOR_CREATED = "admin.operator_created"  # by the CLI: detail.username, detail.role
    ADMIN_OPERATOR_DISABLED = "admin.operator_disabled"  # by the CLI
    ADMIN_OPERATOR_RESET = "admin.operator_reset"  # by the CLI: a new setup link, the old factors void
    ADMIN_ENROLLED = "admin.enrolled"  # password set and TOTP confirmed through the setup link
    ADMIN_ENROLMENT_REFUSED = "admin.enrolment_refused"  # detail.reason
    ADMIN_SIGNED_IN = "admin.signed_in"  # detail.factor: totp | recovery_code
    ADMIN_SIGN_IN_FAILED = "admin.sign_in_failed"  # detail.reason, detail.username as typed
    ADMIN_LOCKED = "admin.locked"  # detail.until
    ADMIN_SIGNED_OUT = "admin.signed_out"
    ADMIN_MOBILE_VIEWED = "admin.mobile_viewed"
    ADMIN_USER_UNLOCKED = "admin.user_unlocked"
    ADMIN_USER_DISABLED = "admin.user_disabled"
    ADMIN_USER_ENABLED = "admin.user_enabled"
    ADMIN_SESSIONS_ENDED = "admin.sessions_ended"
    # 申诉: mobile is the new number; detail.old_mobile and detail.new_mobile masked, detail.reason as given
    ADMIN_USER_MOBILE_CHANGED = "admin.user_mobile_changed"
    ADMIN_AUDIT_EXPORTED = "admin.audit_exported"  # detail.filters, detail.rows
    ADMIN_ACTION_REFUSED = "admin.action_refused"  # detail.action, detail.reason (forbidden)
    # An SMS's delivery receipt from its provider: detail.provider, detail.message_id, detail.status
    SMS_CODE_DELIVERED = "sms_code.delivered"
    SMS_CODE_DELIVERY_FAILED = "sms_code.delivery_failed"
    # 验证码登录 and 换绑手机号. login.succeeded and user.registered carry detail.method
    # ("password" or "sms"); a sign-in that made the account records both.
    PASSWORD_SET = "password.set"  # a password-less account (made by SMS sign-in) set its first password
    MOBILE_CHANGED = "mobile.changed"  # detail.old_mobile, detail.new_mobile, both masked; mobile: the new one
    MOBILE_CHANGE_REFUSED = "mobile_change.refused"  # detail.reason
    # The security notice to the number an account left (after the change committed): mobile is the old one.
    MOBILE_CHANGE_NOTICE_SENT = "mobile_change_notice.sent"  # detail.provider
    MOBILE_CHANGE_NOTICE_FAILED = "mobile_change_notice.failed"  # detail.provider, detail.provider_code


@dataclass(frozen=True)
class ClientContext:
    """Who asked: passed in by the entrypoint, carried by every event."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    # Behind trusted proxies, X-Forwarded-For held no IP address: `ip` is the proxy's socket address instead.
    forwarded_for_invalid: bool = False


@dataclass(frozen=True)
class AuditEvent:
    type: EventType | str  # a str: read back from the log, a type this version does not know (a newer one wrote it)
    occurred_at: datetime
    client: ClientContext
    mobile: str | None = None
    user_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class EventFacts(TypedDict, total=False):
    """What a use case knows of the events it will record, filled in as it learns it (when and who asked first,
    then which mobile and account) and passed on as keywords: `record(uow, event_type, **facts)`. The last few
    keys are detail that every event of one use case carries."""

    now: Required[datetime]
    client: Required[ClientContext]
    mobile: str
    user_id: int | None
    method: str  # how a sign-in was proven: "password" or "sms"
    purpose: str  # the SMS code's
    username: str  # what an operator typed at sign-in, when it could be a username
    operator_id: int | None
    operator: str  # the operator's username
