"""The console's storage on every database: operators and sessions, the console's queries (JSON fields, day
buckets, prefix searches), and races that must leave exactly one winner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from adapters.sqlalchemy.console import SqlConsole
from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import audit_events, event_day_counts, operators, users
from domain.console import METRICS, EventFilter, UserQuery
from domain.events import ClientContext
from domain.use_cases.admin.enrolment import Enrolment
from domain.use_cases.admin.sign_in import OperatorCredentials
from entrypoints.bootstrap import bootstrap
from tests.fakes import FakeHasher, FakeTotp, totp_code
from tests.integration.test_races import N, race

pytestmark = pytest.mark.databases
CLIENT = ClientContext(ip="127.0.0.1", user_agent="storage-test", request_id="storage")
PASSWORD = "operator pass phrase"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def kit(database_url):
    upgrade(make_engine(database_url))
    services = bootstrap(
        settings={"DATABASE_URL": database_url, "SECRET_KEY": "storage"}, hasher=FakeHasher(), totp=FakeTotp()
    )
    yield services
    services.engine.dispose()


def enrol(services, username="wang", role="admin"):
    link = services.admin.create_operator(username, role, CLIENT)
    services.admin.start_enrolment(link.token)
    return services.admin.finish_enrolment(Enrolment(link.token, PASSWORD, PASSWORD, totp_code(), CLIENT))


def sign_in(services, code, session_id="s1", username="wang"):
    return services.admin.sign_in(OperatorCredentials(username, PASSWORD, code, session_id, CLIENT))


def rows(services, statement):
    with services.engine.connect() as connection:
        return connection.execute(statement).all()


def test_operators_sessions_and_recovery_codes_persist(kit):
    with freeze_time(NOW):
        codes = enrol(kit)
        sign_in(kit, codes[0], "s1")
        [row] = rows(kit, select(operators))
        assert len(row.recovery_codes) == 9 and row.enrolled_at is not None and row.setup_digest is None
        assert row.totp_secret.startswith("sealed:") and row.password_hash == "hashed:" + PASSWORD
        assert kit.admin.load_session("s1").username == "wang"
        kit.admin.disable_operator("wang", CLIENT)
        assert kit.admin.load_session("s1") is None


def seed_events(kit, events):
    with kit.engine.begin() as connection:
        connection.execute(
            insert(audit_events),
            [
                {
                    "type": t,
                    "occurred_at": at,
                    "mobile": "13800138000",
                    "user_id": 7,
                    "ip": "198.51.100.1",
                    "detail": detail,
                }
                for t, at, detail in events
            ],
        )


def test_day_counts_split_sign_ins_by_method_at_beijing_midnight(kit):
    midnight = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # 2026-03-10 00:00 in Beijing
    seed_events(
        kit,
        [
            ("login.succeeded", midnight - timedelta(microseconds=1), {}),
            ("login.succeeded", midnight, {"method": "sms"}),
            ("login.succeeded", midnight, {"method": "password"}),
            ("login.succeeded", midnight, {}),
            ("user.registered", midnight + timedelta(hours=5), {"method": "sms"}),
            ("captcha.issued", midnight, {}),
        ],
    )
    boundaries = [midnight - timedelta(days=1), midnight, midnight + timedelta(days=1)]
    with Session(kit.engine) as session:
        counts = SqlConsole(session).count_by_day(boundaries, ("login.succeeded", "user.registered"))
    assert counts == {
        (0, "login.succeeded", None): 1,
        (1, "login.succeeded", "sms"): 1,
        (1, "login.succeeded", "password"): 1,
        (1, "login.succeeded", None): 1,
        (1, "user.registered", None): 1,
    }


def test_dashboard_rolls_up_and_reads_back(kit):
    seed_events(kit, [("user.registered", NOW - timedelta(days=2), {}), ("login.succeeded", NOW, {"method": "sms"})])
    with freeze_time(NOW):
        enrol(kit)
        actor = sign_in(kit, totp_code(steps_ahead=1))
        first = kit.admin.dashboard(actor, CLIENT)
        again = kit.admin.dashboard(actor, CLIENT)
    assert first == again
    assert first.series["registrations"][-3] == 1 and first.series["sign_ins_sms"][-1] == 1
    stored = rows(kit, select(func.count()).select_from(event_day_counts))[0][0]
    assert stored == 29 * len(METRICS)


def test_console_queries(kit):
    with kit.engine.begin() as connection:
        connection.execute(
            insert(users),
            [
                {"mobile": m, "nickname": n, "password_hash": "x", "created_at": NOW}
                for m, n in [
                    ("13800138000", "小明"),
                    ("13800139000", "100%_real"),
                    ("13900139000", "小红"),
                    ("13812345678", "Bob"),
                ]
            ],
        )
    seed_events(
        kit,
        [
            ("sms_code.sent", NOW - timedelta(minutes=5), {"purpose": "register", "message_id": "biz-1"}),
            ("sms_code.delivered", NOW - timedelta(minutes=4), {"message_id": "biz-1"}),
            ("sms_code.delivered", NOW - timedelta(minutes=4), {"message_id": "biz-2"}),
            ("sms_code.refused", NOW - timedelta(minutes=3), {"reason": "sms_cooldown"}),
            ("sms_code.refused", NOW - timedelta(minutes=2), {"reason": "sms_cooldown"}),
            ("sms_code.refused", NOW - timedelta(minutes=1), {"reason": "captcha_invalid"}),
        ],
    )
    with Session(kit.engine) as session:  # bootstrap (the kit) has mapped the domain classes
        console = SqlConsole(session)

        def nicknames(raw, prefix_on_mobiles=True):
            query = UserQuery.parse(raw, prefix_on_mobiles=prefix_on_mobiles)
            return [u.nickname for u in console.search_users(query, 0, 10)]

        assert nicknames("138001") == ["小明", "100%_real"]  # mobiles in order
        assert nicknames("13800138") == ["小明"]
        # Without the full-mobile grant: a whole mobile, exactly, and no prefix
        assert nicknames("13800139000", prefix_on_mobiles=False) == ["100%_real"]
        assert nicknames("138001", prefix_on_mobiles=False) == nicknames("1380013900", prefix_on_mobiles=False) == []
        assert nicknames("小") == ["小明", "小红"]  # nicknames in order
        assert nicknames("\U0010ffff") == nicknames("\ud7ff") == []
        assert nicknames("100%") == ["100%_real"] and nicknames("1%") == [] and nicknames("_") == []
        bob = session.scalar(select(users.c.id).where(users.c.nickname == "Bob"))  # ids run on across tests
        assert "Bob" in nicknames(str(bob))  # the id (its digits may also begin a nickname or mobile)
        assert len(nicknames("")) == 4
        receipts = console.delivery_receipts(["biz-1"], NOW - timedelta(hours=1))
        assert list(receipts) == ["biz-1"] and receipts["biz-1"].type == "sms_code.delivered"
        assert console.refusal_reasons("sms_code.refused", NOW - timedelta(hours=1)) == [
            ("sms_cooldown", 2),
            ("captcha_invalid", 1),
        ]
        found = console.events(
            EventFilter(
                types=("sms_code.refused",), since=NOW - timedelta(minutes=3), until=NOW - timedelta(minutes=1)
            ),
            0,
            10,
        )
        assert [e.detail["reason"] for e in found] == ["sms_cooldown", "sms_cooldown"]
        assert console.events(EventFilter(ip="198.51.100.1", user_id=7, mobile="13800138000"), 5, 10)[0].type
        assert console.stored_day_counts(date(2026, 3, 1), date(2026, 3, 2)) == {}


def test_racing_sign_ins_with_one_totp_code_let_one_through(kit):
    with freeze_time(NOW, tick=True):
        enrol(kit)
        code = totp_code(steps_ahead=1)
        wins, refusals = race(lambda n: sign_in(kit, code, f"race-{n}"), range(N))
    assert len(wins) == 1 and {e.slug for e in refusals} <= {"bad_credentials", "account_locked"}
    signed_in = rows(kit, select(func.count()).where(audit_events.c.type == "admin.signed_in"))[0][0]
    assert signed_in == 1


def test_racing_uses_of_one_setup_link_enrol_once(kit):
    link = kit.admin.create_operator("wang", "admin", CLIENT)
    kit.admin.start_enrolment(link.token)
    wins, refusals = race(
        lambda n: kit.admin.finish_enrolment(Enrolment(link.token, PASSWORD, PASSWORD, totp_code(), CLIENT)), range(N)
    )
    assert len(wins) == 1 and {e.slug for e in refusals} == {"setup_link_invalid"}
    assert rows(kit, select(func.count()).where(audit_events.c.type == "admin.enrolled"))[0][0] == 1


def test_racing_dashboards_roll_up_each_day_once(kit):
    seed_events(kit, [("user.registered", NOW - timedelta(days=d), {}) for d in range(40)])
    with freeze_time(NOW, tick=True):
        enrol(kit)
        actor = sign_in(kit, totp_code(steps_ahead=1))
        wins, refusals = race(lambda _: kit.admin.dashboard(actor, CLIENT), range(N))
    assert refusals == [] and len(wins) == N
    assert all(w.series["registrations"] == [1] * 30 for w in wins)
    assert rows(kit, select(func.count()).select_from(event_day_counts))[0][0] == 29 * len(METRICS)
