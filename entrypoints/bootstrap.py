"""The composition root, and the only place use cases are built: settings and adapters in, ready use cases out.

The web app, every `accounts` command, the relay and the unit tests all call `bootstrap`; tests pass fakes by
keyword, and whatever is not passed is the production adapter, built from the settings (entrypoints/settings.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from adapters.captcha_image import ImageCaptchaRenderer
from adapters.logging import log_event
from adapters.passwords import Argon2Hasher
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.integrations import SqlEventFeed, SqlIntegrationsUnitOfWork
from adapters.sqlalchemy.orm import start_mappers
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from adapters.system import SecretCodes, SystemClock
from adapters.target_guard import DnsTargetGuard
from adapters.totp import PyotpTotp
from domain import ports
from domain.rules import Rules
from domain.use_cases.admin import audit_log, dashboard, enrolment, operators, sms, users
from domain.use_cases.admin import sign_in as operator_sign_in  # not `sign_in`: AdminServices has a field so named
from domain.use_cases.admin.webhooks import ViewWebhooks
from domain.use_cases.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey, UseApiKey
from domain.use_cases.change_mobile import ChangeMobile
from domain.use_cases.change_nickname import ChangeNickname
from domain.use_cases.change_password import ChangePassword
from domain.use_cases.check_password import CheckNewPassword
from domain.use_cases.delete_account import RequestAccountDeletion
from domain.use_cases.erase_accounts import EraseDueAccounts
from domain.use_cases.event_feed import ReadEventFeed
from domain.use_cases.export_account_data import ExportAccountData
from domain.use_cases.issue_captcha import IssueCaptcha
from domain.use_cases.list_sessions import ListSessions
from domain.use_cases.load_session_user import LoadSessionUser
from domain.use_cases.login import Login
from domain.use_cases.login_sms import LoginWithSms
from domain.use_cases.logout import Logout
from domain.use_cases.record_sms_receipts import RecordSmsReceipts
from domain.use_cases.register_user import RegisterUser
from domain.use_cases.request_sms_code import RequestSmsCode
from domain.use_cases.reset_password import ResetPassword
from domain.use_cases.revoke_session import RevokeSession
from domain.use_cases.settle_sms_sends import SettleInterruptedSends
from domain.use_cases.sign_out_everywhere import SignOutEverywhere
from domain.use_cases.view_profile import ViewProfile
from domain.use_cases.webhooks import AddWebhook, RemoveWebhook, ReplayWebhooks, WebhookStatuses
from entrypoints.messages import RESERVED_NICKNAME_WORDS, say
from entrypoints.settings import exported_types, load_settings
from entrypoints.sms_settings import build_sms_sender, load_sms_settings

if TYPE_CHECKING:
    from entrypoints.relay import Relay

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "adapters" / "data" / "common-passwords.txt"


def load_common_passwords(path: Path = COMMON_PASSWORDS) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A separate key per use of the app secret, so a leak of one derived value exposes no other."""
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


def pseudonym_key(secret_key: str) -> bytes:
    """Keys the pseudonyms of erased accounts' mobiles in the audit log (and `accounts pseudonym`)."""
    return derive_key(secret_key, "audit-mobile-pseudonyms")


def webhook_signing_key(secret_key: str) -> bytes:
    """Each endpoint's signing secret is derived from this and the endpoint's stored salt (domain/outbox.py)."""
    return derive_key(secret_key, "webhook-secrets")


@dataclass(frozen=True)
class AdminServices:
    """The operator console's use cases (domain/use_cases/admin/)."""

    create_operator: operators.CreateOperator
    reset_operator: operators.ResetOperator
    disable_operator: operators.DisableOperator
    list_operators: operators.ListOperators
    start_enrolment: enrolment.StartEnrolment
    finish_enrolment: enrolment.FinishEnrolment
    sign_in: operator_sign_in.OperatorSignIn
    load_session: operator_sign_in.LoadOperatorSession
    sign_out: operator_sign_in.OperatorSignOut
    dashboard: dashboard.Dashboard
    search_users: users.SearchUsers
    view_user: users.ViewUser
    reveal_mobile: users.RevealMobile
    unlock_user: users.UnlockUser
    disable_user: users.DisableUser
    enable_user: users.EnableUser
    end_user_sessions: users.EndUserSessions
    change_user_mobile: users.ChangeUserMobile  # 申诉
    search_events: audit_log.SearchEvents
    export_events: audit_log.ExportEvents
    view_sms: sms.ViewSms
    view_webhooks: ViewWebhooks


def _admin_services(uow, reader, hasher, totp, clock, codes, rules, *, webhooks) -> AdminServices:
    """`webhooks`: a unit of work with the webhook endpoints' repository, for the console's Webhook page."""
    return AdminServices(
        create_operator=operators.CreateOperator(uow, clock, codes, rules),
        reset_operator=operators.ResetOperator(uow, clock, codes, rules),
        disable_operator=operators.DisableOperator(uow, clock),
        list_operators=operators.ListOperators(reader),
        start_enrolment=enrolment.StartEnrolment(uow, totp, clock, rules),
        finish_enrolment=enrolment.FinishEnrolment(uow, hasher, totp, clock, codes, rules),
        sign_in=operator_sign_in.OperatorSignIn(uow, hasher, totp, clock, rules),
        load_session=operator_sign_in.LoadOperatorSession(reader, uow, clock, rules),
        sign_out=operator_sign_in.OperatorSignOut(uow, clock, rules),
        dashboard=dashboard.Dashboard(reader, uow, clock),
        search_users=users.SearchUsers(reader, uow, clock, rules),
        view_user=users.ViewUser(reader, uow, clock, rules),
        reveal_mobile=users.RevealMobile(uow, clock),
        unlock_user=users.UnlockUser(uow, clock),
        disable_user=users.DisableUser(uow, clock),
        enable_user=users.EnableUser(uow, clock),
        end_user_sessions=users.EndUserSessions(uow, clock),
        change_user_mobile=users.ChangeUserMobile(uow, clock, rules),
        search_events=audit_log.SearchEvents(reader, uow, clock, rules),
        export_events=audit_log.ExportEvents(reader, uow, clock, rules),
        view_sms=sms.ViewSms(reader, uow, clock, rules),
        view_webhooks=ViewWebhooks(webhooks, uow, clock),
    )


@dataclass(frozen=True)
class Integrations:
    """The event log's consumers: API keys, webhook endpoints, the pull API."""

    create_api_key: CreateApiKey
    revoke_api_key: RevokeApiKey
    list_api_keys: ListApiKeys
    use_api_key: UseApiKey
    add_webhook: AddWebhook
    remove_webhook: RemoveWebhook
    replay_webhooks: ReplayWebhooks
    webhook_statuses: WebhookStatuses
    read_event_feed: ReadEventFeed


def _integrations(uow, guard, clock, codes, rules, signing_key, feed, types) -> Integrations:
    return Integrations(
        create_api_key=CreateApiKey(uow, clock, codes),
        revoke_api_key=RevokeApiKey(uow, clock),
        list_api_keys=ListApiKeys(uow),
        use_api_key=UseApiKey(uow, clock, rules),
        add_webhook=AddWebhook(uow, guard, clock, codes, signing_key),
        remove_webhook=RemoveWebhook(uow, clock),
        replay_webhooks=ReplayWebhooks(uow, clock),
        webhook_statuses=WebhookStatuses(uow),
        read_event_feed=ReadEventFeed(feed, types),
    )


@dataclass(frozen=True)
class Services:
    engine: Engine | None  # None when every unit of work and the event feed were passed in (the unit tests)
    settings: Mapping[str, Any]
    request_sms_code: RequestSmsCode
    register_user: RegisterUser
    issue_captcha: IssueCaptcha
    login: Login
    logout: Logout
    load_session_user: LoadSessionUser
    reset_password: ResetPassword
    change_password: ChangePassword
    change_nickname: ChangeNickname
    sign_out_everywhere: SignOutEverywhere
    view_profile: ViewProfile
    integrations: Integrations  # API keys, webhook endpoints, the pull API
    list_sessions: ListSessions
    revoke_session: RevokeSession
    rules: Rules  # the numbers the web layer shows or needs: the cookie's lifetime, the limits pages render
    request_account_deletion: RequestAccountDeletion
    erase_due_accounts: EraseDueAccounts
    export_account_data: ExportAccountData
    admin: AdminServices
    check_new_password: CheckNewPassword
    record_sms_receipts: RecordSmsReceipts
    settle_sms_sends: SettleInterruptedSends
    login_with_sms: LoginWithSms  # 验证码登录, with one-step sign-up
    change_mobile: ChangeMobile  # 换绑手机号
    relay: Callable[..., Relay]  # `accounts relay`: its outbox, lease, settings and signing key, on this engine


def bootstrap(
    *,
    settings: Mapping[str, Any] | None = None,
    uow: ports.UnitOfWorkFactory | None = None,
    reader: ports.UnitOfWorkFactory | None = None,
    integrations_uow: ports.IntegrationsUnitOfWorkFactory | None = None,
    integrations_reader: ports.IntegrationsUnitOfWorkFactory | None = None,
    event_feed: ports.EventFeed | None = None,
    engine: Engine | None = None,
    sms_sender: ports.SmsSender | None = None,
    captcha_renderer: ports.CaptchaRenderer | None = None,
    hasher: ports.PasswordHasher | None = None,
    clock: ports.Clock | None = None,
    codes: ports.Codes | None = None,
    totp: ports.Totp | None = None,
    target_guard: ports.TargetGuard | None = None,
    rules: Rules | None = None,
) -> Services:
    """`settings`: as entrypoints/settings.py's load_settings answers them (read now when not given); SECRET_KEY
    keys everything derived here, RULES overrides the rules unless `rules` is given. The units of work and the event
    feed not given are the SQL ones, on `engine` or else on one made from DATABASE_URL; `reader` and
    `integrations_reader` (read-only transactions) default to the unit of work given for writing."""
    settings = load_settings() if settings is None else settings
    secret_key: str = settings["SECRET_KEY"]
    storage = _storage(settings, engine, uow, reader, integrations_uow, integrations_reader, event_feed)
    engine, uow, reader = storage.engine, storage.uow, storage.reader

    rules = rules or make_rules(secret_key, settings.get("RULES"))
    sms_sender = sms_sender or build_sms_sender(load_sms_settings(settings))  # default: the console
    captcha_renderer = captcha_renderer or ImageCaptchaRenderer()
    hasher = hasher or Argon2Hasher()
    clock = clock or SystemClock()
    codes = codes or SecretCodes()
    totp = totp or PyotpTotp(derive_key(secret_key, "operator-totp-secrets"))
    target_guard = target_guard or DnsTargetGuard()

    def relay(**options) -> Relay:
        from adapters.sqlalchemy.outbox import RelayLease, SqlOutbox
        from entrypoints.relay import Relay, RelaySettings

        if engine is None:
            raise RuntimeError("the relay runs on the SQL outbox: bootstrap it without fake units of work")
        settings_for_relay = RelaySettings.from_settings(settings, rules.audit_retention)
        return Relay(
            SqlOutbox(engine), RelayLease(engine), settings_for_relay, webhook_signing_key(secret_key), **options
        )

    return Services(
        engine=engine,
        settings=settings,
        request_sms_code=RequestSmsCode(uow, sms_sender, clock, codes, rules),
        register_user=RegisterUser(uow, hasher, clock, rules),
        issue_captcha=IssueCaptcha(uow, captcha_renderer, clock, codes, rules),
        login=Login(uow, hasher, clock, codes, rules),
        logout=Logout(uow, clock, rules),
        load_session_user=LoadSessionUser(uow, reader, clock, rules),
        reset_password=ResetPassword(uow, hasher, clock, rules),
        change_password=ChangePassword(uow, hasher, clock, codes, rules),
        change_nickname=ChangeNickname(uow, clock, rules),
        sign_out_everywhere=SignOutEverywhere(uow, clock),
        view_profile=ViewProfile(reader, rules),
        integrations=_integrations(
            storage.integrations_uow,
            target_guard,
            clock,
            codes,
            rules,
            webhook_signing_key(secret_key),
            storage.event_feed,
            exported_types(settings),
        ),
        list_sessions=ListSessions(reader, clock, rules),
        revoke_session=RevokeSession(uow, clock, rules),
        rules=rules,
        request_account_deletion=RequestAccountDeletion(uow, hasher, clock, rules),
        erase_due_accounts=EraseDueAccounts(uow, clock, pseudonym_key(secret_key)),
        export_account_data=ExportAccountData(uow, reader, clock, rules),
        admin=_admin_services(uow, reader, hasher, totp, clock, codes, rules, webhooks=storage.integrations_reader),
        check_new_password=CheckNewPassword(rules),
        record_sms_receipts=RecordSmsReceipts(uow, clock),
        settle_sms_sends=SettleInterruptedSends(uow, clock, rules),
        login_with_sms=LoginWithSms(uow, clock, codes, rules),
        change_mobile=ChangeMobile(uow, hasher, clock, codes, rules, sms_sender),
        relay=relay,
    )


@dataclass(frozen=True)
class _Storage:
    engine: Engine | None
    uow: ports.UnitOfWorkFactory
    reader: ports.UnitOfWorkFactory
    integrations_uow: ports.IntegrationsUnitOfWorkFactory
    integrations_reader: ports.IntegrationsUnitOfWorkFactory
    event_feed: ports.EventFeed


def _storage(
    settings: Mapping[str, Any],
    engine: Engine | None,
    uow: ports.UnitOfWorkFactory | None,
    reader: ports.UnitOfWorkFactory | None,
    integrations_uow: ports.IntegrationsUnitOfWorkFactory | None,
    integrations_reader: ports.IntegrationsUnitOfWorkFactory | None,
    event_feed: ports.EventFeed | None,
) -> _Storage:
    """The units of work and event feed given, and the SQL ones for those that were not."""
    if uow is not None and integrations_uow is not None and event_feed is not None:
        return _Storage(
            engine, uow, reader or uow, integrations_uow, integrations_reader or integrations_uow, event_feed
        )
    start_mappers()
    engine = engine or make_engine(settings["DATABASE_URL"])
    writing, read_only = make_session_factory(engine), make_session_factory(engine, read_only=True)

    def sql_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(writing, after_commit=log_event)

    def sql_reader() -> SqlUnitOfWork:
        """For use cases that only read: every signed-in page load is one."""
        return SqlUnitOfWork(read_only, after_commit=log_event)

    def sql_integrations_uow() -> SqlIntegrationsUnitOfWork:
        return SqlIntegrationsUnitOfWork(writing, after_commit=log_event)

    def sql_integrations_reader() -> SqlIntegrationsUnitOfWork:
        return SqlIntegrationsUnitOfWork(read_only, after_commit=log_event)

    return _Storage(
        engine,
        uow or sql_uow,
        reader or uow or sql_reader,
        integrations_uow or sql_integrations_uow,
        integrations_reader or integrations_uow or sql_integrations_reader,
        event_feed or SqlEventFeed(engine),
    )


def make_rules(secret_key: str, overrides: dict | None = None) -> Rules:
    """The numbers the app and the `accounts` commands run by: the defaults in domain/rules.py, then the `RULES`
    setting (a mapping given to create_app, or JSON in the environment; durations as timedeltas or seconds)."""
    overrides = dict(overrides or {})
    for rule in fields(Rules):
        if rule.type == "timedelta" and isinstance(overrides.get(rule.name), (int, float)):
            overrides[rule.name] = timedelta(seconds=overrides[rule.name])
    overrides.setdefault("default_nickname_prefix", say("default_nickname_prefix"))
    rules = Rules(
        code_key=derive_key(secret_key, "sms-and-captcha-codes"), common_passwords=load_common_passwords(), **overrides
    )
    # The catalogue's reserved words join the domain's Latin ones (or those the RULES setting gives).
    reserved = frozenset(rules.reserved_nicknames) | frozenset(RESERVED_NICKNAME_WORDS)
    return replace(rules, reserved_nicknames=reserved)
