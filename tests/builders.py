"""Builders for the unit tests: the use cases wired by the composition root on fresh fakes, and the requests,
users and sign-ins most tests start from."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, datetime
from types import SimpleNamespace

from domain.events import ClientContext
from domain.model import User
from domain.rules import Rules
from domain.use_cases.issue_captcha import CaptchaRequest
from domain.use_cases.login import Credentials
from domain.use_cases.register_user import Registration
from domain.use_cases.request_sms_code import SmsCodeRequest
from entrypoints.bootstrap import bootstrap, pseudonym_key, webhook_signing_key
from entrypoints.messages import RESERVED_NICKNAME_WORDS
from tests.fakes import (
    FakeCaptchaRenderer,
    FakeCodes,
    FakeHasher,
    FakeSmsSender,
    FakeStore,
    FakeTotp,
    FakeUnitOfWork,
    UtcClock,
)
from tests.fakes_integrations import (
    FakeApiKeys,
    FakeEventFeed,
    FakeGuard,
    FakeIntegrationsUnitOfWork,
    FakeWebhookEndpoints,
)

TEST_RULES = Rules(
    code_key=b"test-key",
    common_passwords=frozenset({"password123", "12345678"}),
    default_nickname_prefix="用户",
    reserved_nicknames=Rules(code_key=b"").reserved_nicknames | frozenset(RESERVED_NICKNAME_WORDS),
)  # the words the app gets from entrypoints/messages.py
SECRET_KEY = "f10dbeeb5b3cf0c34ae3d629dae8a01626ecdfa3"
PSEUDONYM_KEY = pseudonym_key(SECRET_KEY)  # what the erasure keys erased mobiles' pseudonyms with
WEBHOOK_KEY = webhook_signing_key(SECRET_KEY)  # what webhook endpoints' secrets derive from
CLIENT = ClientContext(ip="203.0.113.7", user_agent="pytest", request_id="req-1")
OTHER_CLIENT = ClientContext(ip="198.51.100.1", user_agent="pytest", request_id="req-2")  # another address
MOBILE = "13800138000"
PASSWORD = "correct horse"


def make_services(**overrides) -> SimpleNamespace:
    """Every use case, built by entrypoints/bootstrap.py on fresh fakes, beside the fakes themselves. Any fake can
    be overridden by keyword: store, uow, sender, renderer, hasher, clock, codes, rules, totp, guard, feed,
    api_keys, webhooks (the last two are the integrations' unit of work's repositories); `settings` adds to the
    settings bootstrap reads (a test SECRET_KEY)."""
    store = overrides.pop("store", None) or FakeStore()
    parts = dict(
        store=store,
        uow=lambda: FakeUnitOfWork(store),
        sender=FakeSmsSender(),
        renderer=FakeCaptchaRenderer(),
        hasher=FakeHasher(),
        clock=UtcClock(),
        codes=FakeCodes(),
        rules=TEST_RULES,
        totp=FakeTotp(),
        guard=FakeGuard({}),
        feed=FakeEventFeed(),
        api_keys=FakeApiKeys(),
        webhooks=FakeWebhookEndpoints(),
        settings={},
    )
    if unknown := set(overrides) - set(parts):
        raise TypeError(f"unknown overrides: {sorted(unknown)}")
    parts.update(overrides)
    s = SimpleNamespace(**parts)
    s.integrations_uow = lambda: FakeIntegrationsUnitOfWork(s.store, s.api_keys, s.webhooks)
    services = bootstrap(
        settings={"SECRET_KEY": SECRET_KEY, **s.settings},
        uow=s.uow,
        integrations_uow=s.integrations_uow,
        event_feed=s.feed,
        sms_sender=s.sender,
        captcha_renderer=s.renderer,
        hasher=s.hasher,
        clock=s.clock,
        codes=s.codes,
        totp=s.totp,
        target_guard=s.guard,
        rules=s.rules,
    )
    for field in fields(services):
        if not hasattr(s, field.name):
            setattr(s, field.name, getattr(services, field.name))
    return s


def new_captcha(s, client: ClientContext = CLIENT) -> tuple[str, str]:
    """Issue a captcha under a fresh uuid; return (id, the text drawn on it)."""
    captcha_id = str(uuid.uuid4())
    s.issue_captcha(CaptchaRequest(captcha_id, client))
    return captcha_id, s.renderer.last_text


def sms_request(
    s,
    mobile: str | None = MOBILE,
    *,
    client: ClientContext = CLIENT,
    purpose: str = "register",
    captcha: str | None = None,
    user_id: int | None = None,
) -> SmsCodeRequest:
    """A request carrying a freshly issued captcha, solved unless `captcha` gives another answer."""
    captcha_id, text = new_captcha(s, client)
    return SmsCodeRequest(mobile, captcha_id, text if captcha is None else captcha, client, purpose, user_id)


def request_code(s, mobile: str = MOBILE, **kwargs) -> str:
    """Request a code with a solved captcha; return the code the sender delivered."""
    s.request_sms_code(sms_request(s, mobile, **kwargs))
    return s.sender.sent[-1][1]


def registration(code: str, mobile: str = MOBILE, **fields) -> Registration:
    values = dict(
        nickname="Alice", mobile=mobile, code=code, password=PASSWORD, confirmation=None, agreement=True, client=CLIENT
    )
    values.update(fields)
    if values["confirmation"] is None:
        values["confirmation"] = values["password"]
    return Registration(**values)


def add_user(s, mobile: str = MOBILE, password: str = PASSWORD, nickname: str = "Alice") -> User:
    """Put a user straight into the store (no events)."""
    user = User(mobile=mobile, nickname=nickname, password_hash=s.hasher.hash(password), created_at=datetime.now(UTC))
    s.store.users.add(user)
    return user


def credentials(
    s,
    mobile: str = MOBILE,
    password: str = PASSWORD,
    *,
    client: ClientContext = CLIENT,
    captcha: str | None = None,
    remember: bool = False,
) -> Credentials:
    captcha_id, text = new_captcha(s, client)
    return Credentials(mobile, password, captcha_id, text if captcha is None else captcha, client, remember)


def sign_in(s, mobile: str = MOBILE, password: str = PASSWORD, **kwargs) -> str:
    """Sign in through Login; return the session id its cookie would carry."""
    return s.login(credentials(s, mobile, password, **kwargs)).session.token
