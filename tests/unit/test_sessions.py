"""Session records on fakes: sign-in, the check on every request, activity, 退出, 下线, ending them all."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import ClientContext, EventType
from domain.model import session_digest
from domain.use_cases.change_password import PasswordChange
from domain.use_cases.load_session_user import SessionOwner
from domain.use_cases.logout import SignOut
from domain.use_cases.reset_password import PasswordReset
from domain.use_cases.revoke_session import SessionRevocation
from domain.use_cases.sign_out_everywhere import SignOutEverywhereRequest
from tests.builders import (
    CLIENT,
    MOBILE,
    PASSWORD,
    TEST_RULES,
    add_user,
    credentials,
    make_services,
    request_code,
    sign_in,
)
from tests.fakes import FakeCodes

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NEW, THIRD = "a brand new secret", "yet another secret"
ELSEWHERE = ClientContext(ip="198.51.100.1", user_agent="another browser", request_id="req-2")


def record_of(s, token):
    return s.store.sessions.get(session_digest(s.rules, token))


def alive(s, token) -> bool:
    return s.load_session_user(token, CLIENT.ip) is not None


def change_password(s, user, token, current=PASSWORD, new=NEW, client=CLIENT):
    return s.change_password(PasswordChange(user.id, current, new, new, client, token))


# --- sign-in ---------------------------------------------------------------------------------------


def test_sign_in_stores_a_keyed_digest_of_the_session_id_never_the_id():
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW):
        new = s.login(credentials(s, remember=True)).session
    [record] = s.store.sessions.rows.values()
    assert record.token_digest == session_digest(s.rules, new.token) != new.token
    assert new.token not in str(vars(record))
    assert record.public_id == new.public_id != new.token
    assert s.codes.calls[-2:] == [("token", 32), ("token", 16)]  # 256 random bits for the secret
    assert (record.user_id, record.remember, record.ip, record.user_agent) == (
        user.id,
        True,
        CLIENT.ip,
        CLIENT.user_agent,
    )
    assert record.created_at == record.last_seen_at == NOW and record.ended_at is None


def test_the_digest_of_a_session_id_is_the_same_in_every_release():
    # Stored digests must keep matching their cookies: a changed formula would sign every browser out at a deploy.
    assert session_digest(TEST_RULES, "a-session-id") == (
        "d2f8a1abd43f5e755a59706f2c82cf844809ee052635e2cddc4ebe370f2dff9a"
    )


def test_every_sign_in_gets_a_session_of_its_own():
    s = make_services()
    add_user(s)
    first, second = sign_in(s), sign_in(s)
    assert first != second
    assert len({r.public_id for r in s.store.sessions.rows.values()}) == 2


def test_a_repeated_session_id_fails_the_sign_in_instead_of_sharing_a_session():
    s = make_services(codes=FakeCodes(tokens=["same", "public-1", "same", "public-2"]))
    add_user(s)
    first = sign_in(s)
    with pytest.raises(errors.Conflict):
        sign_in(s)
    assert len(s.store.sessions.rows) == 1 and alive(s, first)
    assert len(s.store.events_of(EventType.LOGIN_SUCCEEDED)) == 1


# --- the check on every request ------------------------------------------------------------------


def test_the_owner_names_the_user_and_the_public_id_never_the_secret():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    assert s.load_session_user(token, None) == SessionOwner(user.id, "Alice", record_of(s, token).public_id)


def test_made_up_ids_and_deleted_users_load_nobody():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    assert s.load_session_user("made-up", None) is None
    del s.store.users.rows[user.id]
    assert s.load_session_user(token, None) is None


@pytest.mark.parametrize(
    ("remember", "lifetime"), [(True, timedelta(days=30)), (False, timedelta(hours=12))], ids=["remember-me", "browser"]
)
def test_a_session_ends_at_its_absolute_expiry_however_busy(remember, lifetime):
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as clock:
        token = sign_in(s, remember=remember)
        assert record_of(s, token).expires_at == NOW + lifetime
        while datetime.now(UTC) + timedelta(minutes=20) < NOW + lifetime:
            clock.tick(timedelta(minutes=20))  # in use all along
            assert alive(s, token)
        clock.move_to(NOW + lifetime - timedelta(seconds=1))
        assert alive(s, token)
        clock.tick(1)
        assert not alive(s, token)


def test_without_remember_me_thirty_quiet_minutes_end_the_session():
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as clock:
        token = sign_in(s)
        clock.tick(timedelta(minutes=29, seconds=59))
        assert alive(s, token)  # and this counts as activity
        clock.tick(timedelta(minutes=29, seconds=59))
        assert alive(s, token)
        clock.tick(timedelta(minutes=30))
        assert not alive(s, token)


def test_with_remember_me_a_quiet_month_is_fine_until_the_expiry():
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as clock:
        token = sign_in(s, remember=True)
        clock.tick(timedelta(days=29, hours=23))
        assert alive(s, token)


def test_activity_is_written_at_most_every_five_minutes():
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as clock:
        token = sign_in(s)
        record, commits = record_of(s, token), s.store.commits
        clock.tick(timedelta(minutes=4, seconds=59))
        assert s.load_session_user(token, ELSEWHERE.ip)
        assert (record.last_seen_at, record.ip, s.store.commits) == (NOW, CLIENT.ip, commits)  # no write
        clock.tick(1)
        assert s.load_session_user(token, ELSEWHERE.ip)
        assert (record.last_seen_at, record.ip, s.store.commits) == (
            NOW + timedelta(minutes=5),
            ELSEWHERE.ip,
            commits + 1,
        )
        assert s.load_session_user(token, ELSEWHERE.ip) and s.store.commits == commits + 1


# --- 退出 -------------------------------------------------------------------------------------------


def test_logout_ends_that_session_only_and_records_it():
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW):
        this, other = sign_in(s), sign_in(s)
        s.logout(SignOut(this, CLIENT))
        assert not alive(s, this) and alive(s, other)  # another device of the same user stays signed in
    [event] = s.store.events_of(EventType.USER_LOGGED_OUT)
    ended = record_of(s, this)
    assert (event.user_id, event.mobile, event.client, event.detail) == (
        user.id,
        MOBILE,
        CLIENT,
        {"session": ended.public_id},
    )
    assert event.occurred_at == NOW
    assert (ended.ended_at, ended.end_reason) == (NOW, "logged_out")


def test_logging_out_twice_or_with_a_made_up_id_changes_nothing():
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as clock:
        token = sign_in(s)
        s.logout(SignOut(token, CLIENT))
        clock.tick(60)
        s.logout(SignOut(token, CLIENT))
        s.logout(SignOut("made-up", CLIENT))
    assert len(s.store.events_of(EventType.USER_LOGGED_OUT)) == 1 and record_of(s, token).ended_at == NOW


# --- password change and reset, 退出所有设备 ------------------------------------------------------


@pytest.mark.parametrize("remember", [True, False])
def test_password_change_keeps_this_browser_with_its_remember_me_and_expiry(remember):
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW) as clock:
        this, other = sign_in(s, remember=remember), sign_in(s, remember=True)
        clock.tick(timedelta(minutes=20))
        renewed = change_password(s, user, this, client=ELSEWHERE)
        assert alive(s, renewed.token) and not alive(s, this) and not alive(s, other)
    old, new = record_of(s, this), record_of(s, renewed.token)
    assert renewed.remember is remember and new.remember is remember
    assert (new.created_at, new.expires_at) == (old.created_at, old.expires_at)  # a new id, not a longer life
    assert renewed.token != this and new.public_id == renewed.public_id != old.public_id
    assert (new.last_seen_at, new.ip, new.user_agent) == (
        NOW + timedelta(minutes=20),
        ELSEWHERE.ip,
        ELSEWHERE.user_agent,
    )
    assert {old.end_reason, record_of(s, other).end_reason} == {"password_changed"}
    [event] = s.store.events_of(EventType.PASSWORD_CHANGED)
    assert (event.occurred_at, event.mobile, event.user_id, event.client) == (
        new.last_seen_at,
        MOBILE,
        user.id,
        ELSEWHERE,
    )


def test_a_second_password_change_ends_the_sessions_started_after_the_first():
    s = make_services()
    user = add_user(s)
    renewed = change_password(s, user, sign_in(s))
    between = sign_in(s, password=NEW)
    again = change_password(s, user, renewed.token, current=NEW, new=THIRD)
    assert not alive(s, between) and alive(s, again.token)


def test_a_password_change_through_a_session_that_ended_changes_nothing():
    s = make_services()
    user = add_user(s)
    other_user = add_user(s, "13900139000")
    ended, theirs = sign_in(s), sign_in(s, "13900139000")
    s.sign_out_everywhere(SignOutEverywhereRequest(user.id, CLIENT))
    for token in (ended, theirs):
        with pytest.raises(errors.LoginRequired):
            change_password(s, user, token)
    assert s.hasher.verify(user.password_hash, PASSWORD) and s.store.events_of(EventType.PASSWORD_CHANGED) == []
    assert s.load_session_user(theirs, None).user_id == other_user.id


def test_signing_out_everywhere_twice_ends_the_sessions_started_in_between():
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW):
        sign_in(s)
        s.sign_out_everywhere(SignOutEverywhereRequest(user.id, CLIENT))
        between = sign_in(s)
        s.sign_out_everywhere(SignOutEverywhereRequest(user.id, CLIENT))
        assert not alive(s, between)
    events = s.store.events_of(EventType.SESSIONS_REVOKED)
    assert [(e.detail["ended"], e.occurred_at) for e in events] == [(1, NOW), (1, NOW)]
    assert {r.end_reason for r in s.store.sessions.rows.values()} == {"signed_out_everywhere"}


def test_a_second_reset_ends_the_sessions_started_after_the_first():
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW) as clock:
        for password in (NEW, THIRD):
            between = sign_in(s, password=PASSWORD if password == NEW else NEW)
            code = request_code(s, purpose="reset_password")
            s.reset_password(PasswordReset(MOBILE, code, password, password, CLIENT))
            assert not alive(s, between)
            clock.tick(61)  # the next code may be sent
    assert [(e.mobile, e.user_id) for e in s.store.events_of(EventType.PASSWORD_RESET)] == [(MOBILE, user.id)] * 2


# --- 登录设备管理 ----------------------------------------------------------------------------------


def test_the_devices_list_shows_my_live_sessions_most_recently_active_first():
    s = make_services()
    user = add_user(s)
    add_user(s, "13900139000")
    with freeze_time(NOW) as clock:
        sign_in(s)  # idles out below
        clock.tick(timedelta(minutes=10))
        remembered = sign_in(s, remember=True)
        clock.tick(timedelta(minutes=10))
        recent = sign_in(s, client=ELSEWHERE)
        s.logout(SignOut(sign_in(s), CLIENT))
        sign_in(s, "13900139000")
        clock.tick(timedelta(minutes=25))
        listed = s.list_sessions(user.id)
    assert [x.public_id for x in listed] == [record_of(s, recent).public_id, record_of(s, remembered).public_id]
    assert listed[0].ip == ELSEWHERE.ip and listed[0].user_agent == ELSEWHERE.user_agent


def test_revoke_ends_one_of_my_sessions_at_once_and_records_it():
    s = make_services()
    user = add_user(s)
    with freeze_time(NOW):
        this, other = sign_in(s), sign_in(s)
        public_id = record_of(s, other).public_id
        s.revoke_session(SessionRevocation(user.id, public_id, CLIENT))
        assert not alive(s, other) and alive(s, this)
    assert (record_of(s, other).ended_at, record_of(s, other).end_reason) == (NOW, "revoked")
    [event] = s.store.events_of(EventType.SESSION_REVOKED)
    assert (event.user_id, event.mobile, event.client, event.detail) == (
        user.id,
        MOBILE,
        CLIENT,
        {"session": public_id},
    )
    assert event.occurred_at == NOW


@pytest.mark.parametrize("which", ["another user's", "made up", "already ended", "malformed"])
def test_revoke_refuses_anything_but_a_live_session_of_mine_alike(which):
    s = make_services()
    user = add_user(s)
    add_user(s, "13900139000")
    theirs, mine = sign_in(s, "13900139000"), sign_in(s)
    if which == "already ended":
        s.logout(SignOut(mine, CLIENT))
    public_id = {
        "another user's": record_of(s, theirs).public_id,
        "made up": "A" * 22,
        "already ended": record_of(s, mine).public_id,
        "malformed": "x\x00y",
    }[which]
    with pytest.raises(errors.SessionNotFound):
        s.revoke_session(SessionRevocation(user.id, public_id, CLIENT))
    assert alive(s, theirs) and s.store.events_of(EventType.SESSION_REVOKED) == []


def test_ending_sessions_without_commit_ends_nothing():
    s = make_services()
    user = add_user(s)
    token = sign_in(s)
    with s.uow() as uow:
        assert uow.sessions.end_all(user.id, NOW, "signed_out_everywhere") == 1
    assert alive(s, token) and record_of(s, token).end_reason is None


def test_a_session_whose_user_is_gone_still_ends_and_its_event_names_no_mobile():
    s = make_services()
    user = add_user(s)
    by_logout, by_revoke = sign_in(s), sign_in(s)
    public_id = record_of(s, by_revoke).public_id
    del s.store.users.rows[user.id]  # e.g. an account erased while its sessions were open
    s.logout(SignOut(by_logout, CLIENT))
    s.revoke_session(SessionRevocation(user.id, public_id, CLIENT))
    assert {record_of(s, token).end_reason for token in (by_logout, by_revoke)} == {"logged_out", "revoked"}
    assert [(e.mobile, e.user_id) for e in s.store.events][-2:] == [(None, user.id)] * 2
