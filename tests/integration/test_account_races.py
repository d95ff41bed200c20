"""注销 under concurrency, on every database: one request wins, and a sign-in never meets a half-erased account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from adapters.sqlalchemy.tables import audit_events, sms_challenges, users
from domain.errors import DomainError
from domain.events import ClientContext
from domain.use_cases.delete_account import DeletionRequest
from domain.use_cases.login import Credentials
from tests.integration.test_races import CLIENT, MOBILE, Kit, N, race

pytestmark = pytest.mark.slow
PASSWORD = "s3cure-Passw0rd"  # what Kit.register gives every account
PURGE = ClientContext(user_agent="accounts purge", request_id="race")


@pytest.fixture
def kit(database_url) -> Kit:
    return Kit(database_url)


def user_id_of(kit: Kit, mobile: str) -> int:
    return kit.scalar(select(users.c.id).where(users.c.mobile == mobile))


def count(kit: Kit, event_type: str, user_id: int) -> int:
    return kit.scalar(select(func.count()).where(audit_events.c.type == event_type, audit_events.c.user_id == user_id))


def make_due(kit: Kit, mobile: str) -> int:
    """An account whose deletion was asked for, and whose cool-off has just ended."""
    kit.register(kit.send_code(mobile), mobile)
    user_id = user_id_of(kit, mobile)
    kit.services.request_account_deletion(DeletionRequest(user_id, PASSWORD, CLIENT))
    past = datetime.now(UTC) - timedelta(seconds=1)
    engine = kit.services.engine
    with engine.begin() as connection:
        connection.execute(update(users).where(users.c.id == user_id).values(deletion_due_at=past))
    return user_id


def test_twenty_racing_deletion_requests_record_one(kit):
    kit.register(kit.send_code())
    user_id = user_id_of(kit, MOBILE)
    wins, refusals = race(
        lambda _: kit.services.request_account_deletion(DeletionRequest(user_id, PASSWORD, CLIENT)), range(N)
    )
    assert refusals == [] and len(wins) == N
    assert len(set(wins)) == 1  # every answer names the same date: the first request's
    assert count(kit, "account.deletion_requested", user_id) == 1


def test_overlapping_purges_erase_each_account_once(kit):
    """Operators' schedules overlap (two hosts, a slow run): twenty purges at once, three due accounts."""
    due = [make_due(kit, f"1360000000{i}") for i in range(3)]
    wins, refusals = race(lambda _: kit.services.erase_due_accounts(PURGE, batch_size=2), range(N))
    assert refusals == [] and sum(wins) == 3
    for user_id in due:
        assert count(kit, "account.erased", user_id) == 1
    assert kit.scalar(select(func.count()).select_from(users)) == 0


@pytest.mark.parametrize("round_", range(3))
def test_a_sign_in_racing_the_erasure_either_keeps_the_whole_account_or_finds_none(kit, round_):
    """Nineteen sign-ins with the right password and one purge, at once. Whoever takes the row first decides:
    a sign-in cancels the deletion and the purge then leaves the account whole, or the purge erases it and
    every sign-in after finds no account. Never a session on an erased account, never half an erasure."""
    mobile = f"1370000{round_:04d}"
    user_id = make_due(kit, mobile)
    pairs = [kit.captcha_pair() for _ in range(N - 1)]

    def act(i):
        if i == N // 2 - round_:  # the purge starts at a different point among the sign-ins each round
            return ("erased", kit.services.erase_due_accounts(PURGE))
        captcha_id, text = pairs.pop()
        return ("signed_in", kit.services.login(Credentials(mobile, PASSWORD, captcha_id, text, CLIENT)))

    wins, refusals = race(act, range(N))
    [erased] = [n for kind, n in wins if kind == "erased"]
    sign_ins = [s for kind, s in wins if kind == "signed_in"]
    # Racing right passwords can still meet the lockout: tries are counted before any is compared.
    assert {e.slug for e in refusals} <= {"bad_credentials", "account_locked"}
    row = kit.scalar(select(users.c.id).where(users.c.id == user_id))
    if erased:
        assert sign_ins == [] and len(refusals) == N - 1  # none got in: not before, not after
        assert row is None and kit.scalar(select(users.c.id).where(users.c.mobile == mobile)) is None
        # No event ties the erased account to its number, not even a sign-in refused after the erasure.
        assert (
            kit.scalar(select(func.count()).where(audit_events.c.mobile == mobile, audit_events.c.user_id == user_id))
            == 0
        )
        assert count(kit, "account.deletion_cancelled", user_id) == 0
        assert count(kit, "login.succeeded", user_id) == 0
    else:
        assert sign_ins and row == user_id  # the first sign-in won the row: the account is whole
        assert sum(s.deletion_cancelled for s in sign_ins) == 1
        assert count(kit, "account.deletion_cancelled", user_id) == 1
        assert count(kit, "account.erased", user_id) == 0
        assert kit.scalar(select(users.c.deletion_due_at).where(users.c.id == user_id)) is None


class EraseWhileVerifying:
    """The real hasher, but verify() first lets the purge erase the account and someone register its number."""

    def __init__(self, kit: Kit, real):
        self.kit, self.real = kit, real

    def hash(self, password):
        return self.real.hash(password)

    def needs_rehash(self, password_hash):
        return self.real.needs_rehash(password_hash)

    def verify(self, password_hash, password):
        assert self.kit.services.erase_due_accounts(PURGE) == 1
        with self.kit.services.engine.begin() as connection:  # the sign-up code's cooldown is not the point here
            connection.execute(update(sms_challenges).values(created_at=datetime.now(UTC) - timedelta(minutes=10)))
        self.kit.register(self.kit.send_code(MOBILE), MOBILE)  # with the very same password
        return self.real.verify(password_hash, password)


def test_an_erasure_between_the_password_check_and_the_sign_in_refuses_it(kit):
    """The deterministic interleaving behind the race: the account is erased and its number registered again
    while argon2 runs outside the transaction; the sign-in's second transaction must not land anywhere."""
    user_id = make_due(kit, MOBILE)
    login = kit.services.login
    real = login.hasher
    login.hasher = EraseWhileVerifying(kit, real)
    captcha_id, text = kit.captcha_pair()
    try:
        with pytest.raises(DomainError) as refused:
            login(Credentials(MOBILE, PASSWORD, captcha_id, text, CLIENT))
    finally:
        login.hasher = real
    assert refused.value.slug == "bad_credentials"
    newcomer = user_id_of(kit, MOBILE)
    assert newcomer != user_id
    assert count(kit, "login.succeeded", newcomer) == 0 and count(kit, "login.succeeded", user_id) == 0
