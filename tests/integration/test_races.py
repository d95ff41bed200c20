"""Concurrent requests against one row: the database, not luck, keeps every rule. On every database."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.exc import ProgrammingError

from adapters.sqlalchemy.tables import audit_events, sms_challenges, users
from domain.errors import DomainError, SmsCodeInvalid
from domain.events import ClientContext
from domain.use_cases.issue_captcha import CaptchaRequest
from domain.use_cases.login import Credentials
from domain.use_cases.register_user import Registration
from domain.use_cases.request_sms_code import SmsCodeRequest
from entrypoints.bootstrap import bootstrap
from tests.conftest import RecordingCaptcha, RecordingSms

pytestmark = pytest.mark.slow
N = 20
MOBILE = "13800138000"
CLIENT = ClientContext(ip="127.0.0.1", user_agent="race-test", request_id="race")


class Kit:
    def __init__(self, url: str):
        from adapters.sqlalchemy.engine import make_engine
        from adapters.sqlalchemy.migrate import upgrade

        upgrade(make_engine(url))
        self.sms, self.captcha = RecordingSms(), RecordingCaptcha()
        self.services = bootstrap(
            settings={"DATABASE_URL": url, "SECRET_KEY": "race", "RULES": {"sms_per_ip_cap": 1000}},
            sms_sender=self.sms,
            captcha_renderer=self.captcha,
        )
        self.url = url

    def captcha_pair(self) -> tuple[str, str]:
        captcha_id = str(uuid.uuid4())
        self.services.issue_captcha(CaptchaRequest(captcha_id, CLIENT))
        return captcha_id, self.captcha.last_text

    def send_code(self, mobile: str = MOBILE) -> str:
        captcha_id, text = self.captcha_pair()
        self.services.request_sms_code(SmsCodeRequest(mobile, captcha_id, text, CLIENT))
        return self.sms.last_code(mobile)

    def register(self, code: str, mobile: str = MOBILE):
        return self.services.register_user(
            Registration("racer", mobile, code, "s3cure-Passw0rd", "s3cure-Passw0rd", True, CLIENT)
        )

    def scalar(self, query):
        engine = create_engine(self.url)
        with engine.connect() as connection:
            value = connection.execute(query).scalar()
        engine.dispose()
        return value


def race(fn, args) -> tuple[list, list[DomainError]]:
    """Run fn over args on N threads at once; split the results into successes and domain refusals."""

    def attempt(arg):
        try:
            return ("ok", fn(arg))
        except DomainError as error:
            return ("refused", error)

    with ThreadPoolExecutor(max_workers=N) as pool:
        outcomes = list(pool.map(attempt, args))
    return [v for k, v in outcomes if k == "ok"], [v for k, v in outcomes if k == "refused"]


@pytest.fixture
def kit(database_url) -> Kit:
    return Kit(database_url)


def test_racing_registrations_with_one_code_make_one_user(kit):
    code = kit.send_code()
    wins, refusals = race(lambda _: kit.register(code), range(N))
    assert len(wins) == 1 and len(refusals) == N - 1
    assert {e.slug for e in refusals} <= {"sms_code_invalid", "mobile_taken"}
    assert kit.scalar(select(func.count()).select_from(users)) == 1
    assert kit.scalar(select(func.count()).where(audit_events.c.type == "user.registered")) == 1


def test_racing_uses_of_one_captcha_let_one_through(kit):
    captcha_id, text = kit.captcha_pair()
    mobiles = [f"1390000{i:04d}" for i in range(N)]
    wins, refusals = race(lambda m: kit.services.request_sms_code(SmsCodeRequest(m, captcha_id, text, CLIENT)), mobiles)
    assert len(wins) <= 1 and all(e.slug == "captcha_invalid" for e in refusals)
    assert kit.scalar(select(func.count()).select_from(sms_challenges)) == len(wins) == len(kit.sms.sent)


def test_racing_wrong_sms_codes_are_all_counted(kit):
    code = kit.send_code()
    wrong = "000000" if code != "000000" else "111111"
    wins, refusals = race(lambda _: kit.register(wrong), range(N))
    assert wins == [] and all(e.slug == "sms_code_invalid" for e in refusals)
    assert kit.scalar(select(sms_challenges.c.attempts)) == 5
    with pytest.raises(SmsCodeInvalid):
        kit.register(code)  # five wrong tries from this address stopped it, racing or not


def test_racing_wrong_sms_codes_from_many_addresses_are_all_counted(kit):
    code = kit.send_code()
    wrong = "000000" if code != "000000" else "111111"
    clients = [ClientContext(ip=f"203.0.113.{n % 8}", user_agent="race-test") for n in range(2 * N)]
    wins, refusals = race(
        lambda client: kit.services.register_user(
            Registration("racer", MOBILE, wrong, "s3cure-Passw0rd", "s3cure-Passw0rd", True, client)
        ),
        clients,
    )
    assert wins == [] and all(e.slug == "sms_code_invalid" for e in refusals)
    # 40 tries from 8 addresses: each address stopped after 5, the code after 20 overall.
    assert kit.scalar(select(sms_challenges.c.attempts)) == 20
    assert kit.scalar(select(sms_challenges.c.spent)) in (True, 1)
    with pytest.raises(SmsCodeInvalid):
        kit.services.register_user(
            Registration(
                "owner", MOBILE, code, "s3cure-Passw0rd", "s3cure-Passw0rd", True, ClientContext(ip="198.51.100.1")
            )
        )


def test_racing_wrong_passwords_are_all_counted(kit):
    kit.register(kit.send_code())
    captchas = [kit.captcha_pair() for _ in range(N)]
    wins, refusals = race(
        lambda pair: kit.services.login(Credentials(MOBILE, "wrong-password-1", pair[0], pair[1], CLIENT)), captchas
    )
    assert wins == [] and len(refusals) == N
    # Every answer is the same (a lock is answered as a wrong password); the log tells them apart: exactly five
    # tries reached the password, every later one met the lock.
    assert {e.slug for e in refusals} == {"bad_credentials"}

    def failures(reason):
        return kit.scalar(
            select(func.count()).where(
                audit_events.c.type == "login.failed", audit_events.c.detail["reason"].as_string() == reason
            )
        )

    assert (failures("bad_credentials"), failures("account_locked")) == (5, N - 5)
    pair = kit.captcha_pair()
    with pytest.raises(DomainError) as locked:
        kit.services.login(Credentials(MOBILE, "s3cure-Passw0rd", pair[0], pair[1], CLIENT))
    assert locked.value.slug == "bad_credentials" and failures("account_locked") == N - 4


@pytest.mark.parametrize("returning", [True, False], ids=["delete-returning", "without-returning"])
def test_racing_takes_of_one_captcha_give_it_to_one(database_url, returning):
    """MySQL 8 has no DELETE ... RETURNING (MariaDB has): the fallback, forced here on every database, must pick
    one winner too. Before it, every captcha check on MySQL 8 was a syntax error."""
    from adapters.sqlalchemy.engine import make_engine, make_session_factory
    from adapters.sqlalchemy.migrate import upgrade
    from adapters.sqlalchemy.orm import start_mappers
    from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
    from domain.model import CaptchaChallenge

    start_mappers()
    engine = make_engine(database_url)
    upgrade(engine)
    if not returning:  # what MySQL 8 is: the dialect says so, and the server refuses the syntax
        engine.dialect.delete_returning = False

        @event.listens_for(engine, "before_cursor_execute")
        def refuse_returning(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("DELETE") and "RETURNING" in statement.upper():
                raise ProgrammingError(statement, {}, RuntimeError("1064: You have an error in your SQL syntax"))

    sessions = make_session_factory(engine)
    uow = lambda: SqlUnitOfWork(sessions, after_commit=lambda event: None)  # noqa: E731
    for round_ in range(3):
        captcha_id = str(uuid.uuid4())
        with uow() as u:
            u.captchas.put(CaptchaChallenge(captcha_id, f"digest-{round_}", datetime.now(UTC)))
            u.commit()

        def take(_, captcha_id=captcha_id):
            with uow() as u:
                taken = u.captchas.take(captcha_id)
                u.commit()
            return taken

        wins, _ = race(take, range(N))
        assert [t.answer_digest for t in wins if t is not None] == [f"digest-{round_}"]
    engine.dispose()
