"""Read by mypy (listed in pyproject's [tool.mypy] files), never run: each fake is what its port in
domain/ports.py asks for, so a port that changes fails `mypy` until its fakes follow. The SQL adapters carry the
same checks at the end of their own modules."""

from __future__ import annotations

from domain import ports
from tests.fakes import (
    FakeAuditLog,
    FakeCaptchaChallenges,
    FakeCaptchaRenderer,
    FakeCodes,
    FakeConsents,
    FakeConsole,
    FakeHasher,
    FakeOperators,
    FakeOperatorSessions,
    FakeSessions,
    FakeSmsChallenges,
    FakeSmsSender,
    FakeTotp,
    FakeUnitOfWork,
    FakeUsers,
    UtcClock,
)
from tests.fakes_integrations import FakeApiKeys, FakeGuard, FakeIntegrationsUnitOfWork, FakeWebhookEndpoints

_users: type[ports.Users] = FakeUsers
_sms_challenges: type[ports.SmsChallenges] = FakeSmsChallenges
_captcha_challenges: type[ports.CaptchaChallenges] = FakeCaptchaChallenges
_audit_log: type[ports.AuditLog] = FakeAuditLog
_sessions: type[ports.Sessions] = FakeSessions
_consents: type[ports.Consents] = FakeConsents
_operators: type[ports.Operators] = FakeOperators
_operator_sessions: type[ports.OperatorSessions] = FakeOperatorSessions
_console: type[ports.Console] = FakeConsole
_unit_of_work: type[ports.UnitOfWork] = FakeUnitOfWork
_sms_sender: type[ports.SmsSender] = FakeSmsSender
_captcha_renderer: type[ports.CaptchaRenderer] = FakeCaptchaRenderer
_password_hasher: type[ports.PasswordHasher] = FakeHasher
_clock: type[ports.Clock] = UtcClock
_codes: type[ports.Codes] = FakeCodes
_totp: type[ports.Totp] = FakeTotp
_api_keys: type[ports.ApiKeys] = FakeApiKeys
_webhook_endpoints: type[ports.WebhookEndpoints] = FakeWebhookEndpoints
_integrations_unit_of_work: type[ports.IntegrationsUnitOfWork] = FakeIntegrationsUnitOfWork
_target_guard: type[ports.TargetGuard] = FakeGuard
