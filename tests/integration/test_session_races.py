"""Twenty requests at once on one user's sessions: sign-ins, uses, 退出, 下线 and 退出所有设备 racing each other.
On every database; the database, not luck, keeps each session's end final and each event single."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from adapters.sqlalchemy.tables import audit_events, user_sessions
from domain.model import session_digest
from domain.use_cases.login import Credentials
from domain.use_cases.logout import SignOut
from domain.use_cases.revoke_session import SessionRevocation
from domain.use_cases.sign_out_everywhere import SignOutEverywhereRequest
from tests.integration.test_races import CLIENT, MOBILE, Kit, N, race

pytestmark = pytest.mark.slow


@pytest.fixture
def kit(database_url) -> Kit:
    kit = Kit(database_url)
    kit.user_id = kit.register(kit.send_code())
    return kit


def sign_in(kit: Kit, remember: bool = False) -> str:
    captcha_id, text = kit.captcha_pair()
    return kit.services.login(Credentials(MOBILE, "s3cure-Passw0rd", captcha_id, text, CLIENT, remember)).session.token


def row(kit: Kit, token: str):
    engine = kit.services.engine
    with engine.connect() as connection:
        digest = session_digest(kit.services.rules, token)
        return connection.execute(select(user_sessions).where(user_sessions.c.token_digest == digest)).mappings().one()


def count_events(kit: Kit, event_type: str) -> int:
    return kit.scalar(select(func.count()).where(audit_events.c.type == event_type))


def make_quiet(kit: Kit, minutes: int = 6) -> None:
    """Every session last seen a while ago: the next use of each wants to record activity."""
    with kit.services.engine.begin() as connection:
        connection.execute(update(user_sessions).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=minutes)))


def test_racing_sign_ins_each_get_a_session_of_their_own(kit):
    # Twenty users, not one: twenty tries at once on one account would meet its lockout, counted before comparing.
    mobiles = [f"1390000{i:04d}" for i in range(N)]
    for mobile in mobiles:
        kit.register(kit.send_code(mobile), mobile)
    captchas = [(mobile, *kit.captcha_pair()) for mobile in mobiles]
    wins, refusals = race(
        lambda attempt: (
            kit.services.login(Credentials(attempt[0], "s3cure-Passw0rd", attempt[1], attempt[2], CLIENT)).session
        ),
        captchas,
    )
    assert refusals == [] and len(wins) == N
    assert len({new.token for new in wins}) == len({new.public_id for new in wins}) == N
    assert all(kit.services.load_session_user(new.token, None) for new in wins)
    assert kit.scalar(select(func.count()).select_from(user_sessions)) == N


def test_a_session_used_twenty_times_at_once_while_it_is_revoked_stays_revoked(kit):
    token, other = sign_in(kit), sign_in(kit)
    public_id = row(kit, token)["public_id"]
    make_quiet(kit)  # every use below records activity: the writes race the revoke

    def act(i: int):
        if i == N // 2:
            return kit.services.revoke_session(SessionRevocation(kit.user_id, public_id, CLIENT))
        return kit.services.load_session_user(token, f"198.51.100.{i}")

    wins, refusals = race(act, range(N))
    assert refusals == [] and len(wins) == N
    assert row(kit, token)["end_reason"] == "revoked"  # no activity write brought it back
    assert kit.services.load_session_user(token, None) is None
    assert kit.services.load_session_user(other, None) is not None
    assert count_events(kit, "session.revoked") == 1


def test_racing_revokes_of_one_session_end_it_once(kit):
    sign_in(kit)
    public_id = row(kit, sign_in(kit))["public_id"]
    wins, refusals = race(
        lambda _: kit.services.revoke_session(SessionRevocation(kit.user_id, public_id, CLIENT)), range(N)
    )
    assert len(wins) == 1 and [e.slug for e in refusals] == ["session_not_found"] * (N - 1)
    assert count_events(kit, "session.revoked") == 1


def test_racing_logouts_of_one_session_record_one_event_and_leave_the_others(kit):
    token, other = sign_in(kit), sign_in(kit)
    wins, refusals = race(lambda _: kit.services.logout(SignOut(token, CLIENT)), range(N))
    assert refusals == [] and len(wins) == N
    assert count_events(kit, "user.logged_out") == 1 and row(kit, token)["end_reason"] == "logged_out"
    assert kit.services.load_session_user(other, None) is not None


def test_signing_out_everywhere_while_twenty_sessions_are_in_use_ends_them_all(kit):
    tokens = [sign_in(kit, remember=bool(i % 2)) for i in range(N - 1)]
    make_quiet(kit)

    def act(i: int):
        if i == N - 1:
            return kit.services.sign_out_everywhere(SignOutEverywhereRequest(kit.user_id, CLIENT))
        return kit.services.load_session_user(tokens[i], None)

    wins, refusals = race(act, range(N))
    assert refusals == [] and len(wins) == N
    assert all(kit.services.load_session_user(token, None) is None for token in tokens)
    assert {row(kit, token)["end_reason"] for token in tokens} == {"signed_out_everywhere"}
