"""The composition root: settings and adapters in, ready use cases out. Tests pass fakes by keyword."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from adapters.captcha_image import ImageCaptchaRenderer
from adapters.logging import log_event
from adapters.passwords import Argon2Hasher
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.orm import start_mappers
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from adapters.system import SecretCodes, SystemClock
from domain import ports
from domain.rules import Rules
from domain.use_cases.change_nickname import ChangeNickname
from domain.use_cases.change_password import ChangePassword
from domain.use_cases.issue_captcha import IssueCaptcha
from domain.use_cases.login import Login
from domain.use_cases.logout import LoadSessionUser, Logout
from domain.use_cases.register_user import RegisterUser
from domain.use_cases.request_sms_code import RequestSmsCode
from domain.use_cases.reset_password import ResetPassword
from domain.use_cases.sign_out_everywhere import SignOutEverywhere
from domain.use_cases.view_profile import ViewProfile
from domain.use_cases.record_sms_receipts import RecordSmsReceipts
from domain.use_cases.settle_sms_sends import SettleInterruptedSends
from entrypoints.sms_settings import SmsSettings, build_sms_sender

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "adapters" / "data" / "common-passwords.txt"


def load_common_passwords(path: Path = COMMON_PASSWORDS) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A separate key per use of the app secret, so a leak of one derived value exposes no other."""
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Services:
    engine: Engine
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
    record_sms_receipts: RecordSmsReceipts
    settle_sms_sends: SettleInterruptedSends


def bootstrap(
    *,
    database_url: str,
    secret_key: str,
    sms_sender: ports.SmsSender | None = None,
    captcha_renderer: ports.CaptchaRenderer | None = None,
    hasher: ports.PasswordHasher | None = None,
    clock: ports.Clock | None = None,
    codes: ports.Codes | None = None,
    rule_overrides: dict | None = None,
    sms_settings: SmsSettings | None = None,
) -> Services:
    start_mappers()
    engine = make_engine(database_url)
    session_factory = make_session_factory(engine)
    read_session_factory = make_session_factory(engine, read_only=True)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(session_factory, after_commit=log_event)

    def reader() -> SqlUnitOfWork:
        """For use cases that only read: every signed-in page load is one."""
        return SqlUnitOfWork(read_session_factory, after_commit=log_event)

    rules = Rules(
        code_key=derive_key(secret_key, "sms-and-captcha-codes"),
        common_passwords=load_common_passwords(),
        **(rule_overrides or {}),
    )
    sms_sender = sms_sender or build_sms_sender(sms_settings or SmsSettings())  # default: the console
    captcha_renderer = captcha_renderer or ImageCaptchaRenderer()
    hasher = hasher or Argon2Hasher()
    clock = clock or SystemClock()
    codes = codes or SecretCodes()
    return Services(
        engine=engine,
        request_sms_code=RequestSmsCode(uow, sms_sender, clock, codes, rules),
        register_user=RegisterUser(uow, hasher, clock, rules),
        issue_captcha=IssueCaptcha(uow, captcha_renderer, clock, codes, rules),
        login=Login(uow, hasher, clock, rules),
        logout=Logout(uow, clock, rules),
        load_session_user=LoadSessionUser(reader, rules),
        reset_password=ResetPassword(uow, hasher, clock, rules),
        change_password=ChangePassword(uow, hasher, clock, rules),
        change_nickname=ChangeNickname(uow, clock, rules),
        sign_out_everywhere=SignOutEverywhere(uow, clock),
        view_profile=ViewProfile(reader, rules),
        record_sms_receipts=RecordSmsReceipts(uow, clock),
        settle_sms_sends=SettleInterruptedSends(uow, clock, rules),
    )
