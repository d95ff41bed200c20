"""Console actions on users: each checks the role in the domain (an auditor gets `forbidden`, recorded), each
change is one audit event naming the operator and the user, and nothing is recorded when nothing changed."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.console import EventFilter
from domain.events import AuditEvent, EventType
from domain.use_cases.admin.users import OperatorMobileChange, UserAction, UserRow, an_id
from tests.builders import CLIENT, MOBILE, PASSWORD, add_user, credentials, make_services
from tests.unit.admin_helpers import enrol, sign_in

ACTIONS = {  # use case -> its event
    "reveal_mobile": EventType.ADMIN_MOBILE_VIEWED,
    "unlock_user": EventType.ADMIN_USER_UNLOCKED,
    "disable_user": EventType.ADMIN_USER_DISABLED,
    "enable_user": EventType.ADMIN_USER_ENABLED,
    "end_user_sessions": EventType.ADMIN_SESSIONS_ENDED,
}


def console(role: str = "admin"):
    s = make_services()
    enrol(s, role=role)
    return s, sign_in(s)


def act(s, actor, name, user_id):
    return getattr(s.admin, name)(UserAction(actor, user_id, CLIENT))


@pytest.mark.parametrize("name", ACTIONS)
def test_an_auditor_is_refused_every_action_and_the_refusal_is_recorded(name):
    s, auditor = console("auditor")
    user = add_user(s)
    token = s.login(credentials(s)).session.token if name != "enable_user" else None
    user.locked_until, user.failed_logins, user.disabled_at = datetime.now(UTC) + timedelta(minutes=5), 5, None
    if name == "enable_user":
        user.disabled_at = datetime.now(UTC)
    before = (user.locked_until, user.failed_logins, user.disabled_at)
    with pytest.raises(errors.Forbidden) as exc:
        act(s, auditor, name, user.id)
    assert exc.value.slug == "forbidden"
    assert (user.locked_until, user.failed_logins, user.disabled_at) == before
    assert token is None or s.load_session_user(token, CLIENT.ip) is not None  # no session ended
    assert s.store.events_of(ACTIONS[name]) == []
    [event] = s.store.events_of(EventType.ADMIN_ACTION_REFUSED)
    assert (event.user_id, event.detail["operator_id"], event.detail["reason"]) == (
        user.id,
        auditor.operator_id,
        "forbidden",
    )


def test_an_auditor_may_read_and_export():
    s, auditor = console("auditor")
    add_user(s)
    assert s.admin.search_users(auditor, "", 1, CLIENT).items
    assert s.admin.view_user(auditor, 1, CLIENT).account.id == 1
    assert s.admin.search_events(auditor, EventFilter(), 1, CLIENT).items
    s.admin.export_events(auditor, EventFilter(), CLIENT)
    s.admin.view_sms(auditor, 1, CLIENT)
    s.admin.dashboard(auditor, CLIENT)
    assert s.store.events_of(EventType.ADMIN_ACTION_REFUSED) == []


def test_a_role_the_code_does_not_know_may_do_nothing():
    s, admin = console()
    from domain.operators import Actor

    stranger = Actor(admin.operator_id, admin.username, "superuser")
    with pytest.raises(errors.Forbidden):
        s.admin.search_users(stranger, "", 1, CLIENT)


def test_reveal_mobile_is_recorded_with_operator_and_user():
    s, admin = console()
    user = add_user(s)
    assert act(s, admin, "reveal_mobile", user.id) == MOBILE
    [event] = s.store.events_of(EventType.ADMIN_MOBILE_VIEWED)
    assert (event.user_id, event.mobile, event.detail) == (
        user.id,
        MOBILE,
        {"operator_id": admin.operator_id, "operator": "wang"},
    )


def test_unlock_lifts_the_lock_so_the_user_can_sign_in():
    s, admin = console()
    user = add_user(s)
    for _ in range(5):
        with pytest.raises(errors.DomainError):
            s.login(credentials(s, password="wrong password"))
    with pytest.raises(errors.BadCredentials):  # locked: answered as a wrong password
        s.login(credentials(s))
    assert act(s, admin, "unlock_user", user.id) is True
    assert (user.locked_until, user.failed_logins) == (None, 0)
    s.login(credentials(s))
    assert act(s, admin, "unlock_user", user.id) is False  # nothing to unlock: no event
    assert len(s.store.events_of(EventType.ADMIN_USER_UNLOCKED)) == 1


def test_a_disabled_user_cannot_sign_in_and_is_told_so_and_every_session_ends():
    s, admin = console()
    user = add_user(s)
    tokens = [s.login(credentials(s)).session.token for _ in range(2)]
    assert act(s, admin, "disable_user", user.id) is True
    assert user.disabled_at is not None
    assert [s.load_session_user(token, CLIENT.ip) for token in tokens] == [None, None]
    assert {r.end_reason for r in s.store.sessions.rows.values()} == {"user_disabled"}
    with pytest.raises(errors.AccountDisabled) as exc:
        s.login(credentials(s))
    assert exc.value.slug == "account_disabled"
    assert s.store.events_of(EventType.LOGIN_FAILED)[-1].detail["reason"] == "account_disabled"
    assert act(s, admin, "disable_user", user.id) is False
    assert act(s, admin, "enable_user", user.id) is True
    assert act(s, admin, "enable_user", user.id) is False
    s.login(credentials(s))
    assert (
        len(s.store.events_of(EventType.ADMIN_USER_DISABLED))
        == len(s.store.events_of(EventType.ADMIN_USER_ENABLED))
        == 1
    )


def test_a_wrong_password_for_a_disabled_user_says_nothing_about_the_account():
    s, admin = console()
    user = add_user(s)
    act(s, admin, "disable_user", user.id)
    with pytest.raises(errors.BadCredentials):
        s.login(credentials(s, password="wrong password"))


def test_end_sessions_ends_every_session_every_time():
    s, admin = console()
    add_user(s)
    first = s.login(credentials(s)).session.token
    act(s, admin, "end_user_sessions", user_id := s.store.users.get_by_mobile(MOBILE).id)
    second = s.login(credentials(s)).session.token  # signed in again after the first
    act(s, admin, "end_user_sessions", user_id)
    assert s.load_session_user(first, CLIENT.ip) is None and s.load_session_user(second, CLIENT.ip) is None
    assert {r.end_reason for r in s.store.sessions.rows.values()} == {"ended_by_operator"}
    assert len(s.store.events_of(EventType.ADMIN_SESSIONS_ENDED)) == 2


@pytest.mark.parametrize("name", ACTIONS)
def test_an_id_no_user_can_have_is_refused_without_a_database_error(name):
    s, auditor = console("auditor")
    with pytest.raises(errors.Forbidden):
        act(s, auditor, name, 2**64)
    assert s.store.events_of(EventType.ADMIN_ACTION_REFUSED)[0].user_id is None


@pytest.mark.parametrize("name", ACTIONS)
def test_an_unknown_user_is_not_found(name):
    s, admin = console()
    with pytest.raises(errors.NotFound):
        act(s, admin, name, 404)
    assert s.store.events_of(ACTIONS[name]) == []


def test_search_by_mobile_prefix_nickname_prefix_or_id_masks_mobiles_and_pages():
    s, admin = console()
    for n in range(45):
        add_user(s, mobile=f"1380013{n:04d}", nickname=f"用户{n}")
    add_user(s, mobile="13912345678", nickname="小明")
    found = s.admin.search_users(admin, "小", 1, CLIENT)
    assert [row.nickname for row in found.items] == ["小明"] and found.items[0].masked_mobile == "139****5678"
    assert [row.id for row in s.admin.search_users(admin, "46", 1, CLIENT).items] == [46]
    by_prefix = s.admin.search_users(admin, "1380013", 1, CLIENT)
    assert len(by_prefix.items) == 20 and by_prefix.has_next
    assert [row.id for row in by_prefix.items] == list(range(1, 21))  # mobiles in order
    last = s.admin.search_users(admin, "1380013", 3, CLIENT)
    assert len(last.items) == 5 and not last.has_next
    assert s.admin.search_users(admin, "", 0, CLIENT).number == 1
    add_user(s, mobile="13700137000", nickname="2024小明")
    assert [row.nickname for row in s.admin.search_users(admin, "2024", 1, CLIENT).items] == ["2024小明"]


def test_an_auditor_finds_a_user_by_a_whole_mobile_only_and_exactly():
    s, admin = console()
    enrol(s, "zhao", "auditor")
    auditor = sign_in(s, "zhao", session_id="session-2")
    for n in range(3):
        add_user(s, mobile=f"1380013800{n}", nickname=f"用户{n}")
    for prefix in ("138", "1380013", "1380013800"):  # narrowing digit by digit reads a number: no answer
        assert s.admin.search_users(auditor, prefix, 1, CLIENT).items == []
    assert [row.id for row in s.admin.search_users(auditor, "13800138001", 1, CLIENT).items] == [2]
    assert s.admin.search_users(auditor, "13800138009", 1, CLIENT).items == []
    assert [row.id for row in s.admin.search_users(admin, "1380013", 1, CLIENT).items] == [1, 2, 3]  # may see them


def test_an_auditor_sees_the_mobiles_in_events_masked_an_admin_in_full():
    s, admin = console()
    enrol(s, "zhao", "auditor")
    auditor = sign_in(s, "zhao", session_id="session-2")
    user = add_user(s)
    s.admin.export_events(admin, EventFilter(mobile=MOBILE), CLIENT)
    act(s, admin, "reveal_mobile", user.id)
    for events in (
        s.admin.search_events(auditor, EventFilter(), 1, CLIENT).items,  # the export's filter masked
        s.admin.view_user(auditor, user.id, CLIENT).events,
        s.admin.export_events(auditor, EventFilter(), CLIENT),
    ):
        assert events and all(MOBILE not in repr(e) for e in events)
        assert {e.mobile for e in events if e.type == EventType.ADMIN_MOBILE_VIEWED} == {"138****8000"}
        exported = [e.detail["filters"] for e in events if e.type == EventType.ADMIN_AUDIT_EXPORTED]
        assert exported in ([], [{"mobile": "138****8000"}])
    [exported, *_] = s.store.events_of(EventType.ADMIN_AUDIT_EXPORTED)
    assert exported.detail["filters"] == {"mobile": MOBILE}  # stored in full, shown to whoever may see it
    shown = s.admin.search_events(admin, EventFilter(types=("admin.audit_exported",)), 1, CLIENT).items
    assert shown[-1].detail["filters"] == {"mobile": MOBILE}


def test_user_detail_shows_the_lock_only_while_it_lasts():
    s, admin = console()
    user = add_user(s)
    with freeze_time(datetime.now(UTC)) as clock:
        user.locked_until, user.failed_logins = datetime.now(UTC) + timedelta(minutes=5), 5
        detail = s.admin.view_user(admin, user.id, CLIENT)
        assert detail.account.locked and detail.locked_until == user.locked_until
        clock.tick(timedelta(minutes=6))
        assert s.admin.view_user(admin, user.id, CLIENT).locked_until is None
    with pytest.raises(errors.NotFound):
        s.admin.view_user(admin, 999, CLIENT)


def test_login_of_a_disabled_user_is_refused_before_a_session_and_with_the_password_checked():
    s = make_services()
    user = add_user(s, password=PASSWORD)
    user.disabled_at = datetime.now(UTC)
    with pytest.raises(errors.AccountDisabled):
        s.login(credentials(s))
    assert len(s.hasher.verify_calls) == 1


# --- every field shown and recorded; ids and pages at their edges ---------------------------------------------

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw, user_id", [(1, 1), (0, None), (-3, None), (2**63 - 1, 2**63 - 1), (2**63, None)])
def test_which_numbers_a_user_can_have_as_id(raw, user_id):
    assert an_id(raw) == user_id


@pytest.mark.parametrize("name", ["view_user", "change_user_mobile", *ACTIONS])
def test_the_store_is_never_asked_for_an_id_no_user_can_have(name):
    s, admin = console()
    asked = []
    s.store.users.get = s.store.users.get_for_update = lambda user_id: asked.append(user_id)
    with pytest.raises(errors.NotFound) as missing:
        if name == "view_user":
            s.admin.view_user(admin, 2**63, CLIENT)
        elif name == "change_user_mobile":
            appeal(s, admin, 2**63)
        else:
            act(s, admin, name, 2**63)
    assert missing.value.key == "not_found.user" and asked == []


def test_a_users_row_and_detail_show_every_field():
    s, admin = console()
    with freeze_time(T0):
        user = add_user(s)
        other = add_user(s, "13900139000", nickname="Bob")
        user.failed_logins, user.locked_until, user.disabled_at = 3, T0 + timedelta(seconds=1), T0
        for n in range(51):
            s.store.events.append(
                AuditEvent(EventType.LOGIN_FAILED, T0 + timedelta(seconds=n), CLIENT, MOBILE, user.id, {"n": n})
            )
        s.store.events.append(AuditEvent(EventType.LOGIN_FAILED, T0 + timedelta(minutes=5), CLIENT, None, other.id))
        detail = s.admin.view_user(admin, user.id, CLIENT)
        [row] = s.admin.search_users(admin, "Alice", 1, CLIENT).items
    assert row == detail.account == UserRow(user.id, "Alice", "138****8000", T0, True, True)
    assert (detail.failed_logins, detail.locked_until, detail.disabled_at) == (3, T0 + timedelta(seconds=1), T0)
    assert [e.detail["n"] for e in detail.events] == list(range(50, 0, -1))  # its own, newest first, 50 of them


def test_a_user_row_is_unlocked_and_enabled_when_neither_holds():
    s, admin = console()
    user = add_user(s)
    [row] = s.admin.search_users(admin, "Alice", 1, CLIENT).items
    assert (row.locked, row.disabled) == (False, False)
    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    [row] = s.admin.search_users(admin, "Alice", 1, CLIENT).items
    assert row.locked is False


def test_a_full_page_of_users_has_no_next():
    s, admin = console()
    for n in range(20):
        add_user(s, mobile=f"1380013{n:04d}")
    page = s.admin.search_users(admin, "1380013", 1, CLIENT)
    assert (len(page.items), page.has_next) == (20, False)


def test_unlock_clears_failures_without_a_lock_too():
    s, admin = console()
    user = add_user(s)
    user.failed_logins = 2
    assert act(s, admin, "unlock_user", user.id) is True
    assert user.failed_logins == 0


def test_an_action_on_a_user_is_recorded_in_full():
    s, admin = console()
    user = add_user(s)
    with freeze_time(T0):
        act(s, admin, "end_user_sessions", user.id)
    assert s.store.events_of(EventType.ADMIN_SESSIONS_ENDED) == [
        AuditEvent(
            EventType.ADMIN_SESSIONS_ENDED,
            T0,
            CLIENT,
            MOBILE,
            user.id,
            {"operator_id": admin.operator_id, "operator": "wang"},
        )
    ]


# --- 申诉: an admin changes a user's mobile ---------------------------------------------------------------


def appeal(s, actor, user_id, mobile="13900139000", reason="工单 1207-001：身份证与注册信息一致"):
    return s.admin.change_user_mobile(OperatorMobileChange(actor, user_id, mobile, reason, CLIENT))


def test_an_admin_changes_the_mobile_with_a_reason_every_session_ends_and_it_is_recorded():
    s, admin = console()
    user = add_user(s)
    token = s.login(credentials(s)).session.token
    appeal(s, admin, user.id, reason="  工单 1207-001：\n身份证与注册信息一致  ")
    assert user.mobile == "13900139000" and s.load_session_user(token, CLIENT.ip) is None
    assert s.login(credentials(s, "13900139000")).user_id == user.id
    [event] = s.store.events_of(EventType.ADMIN_USER_MOBILE_CHANGED)
    assert (event.user_id, event.mobile) == (user.id, "13900139000")
    assert event.detail == {
        "operator_id": admin.operator_id,
        "operator": admin.username,
        "old_mobile": "138****8000",
        "new_mobile": "139****9000",
        "reason": "工单 1207-001： 身份证与注册信息一致",
    }
    assert s.sender.notices == []  # the old number is the one the user lost


def test_an_appeal_ends_the_sessions_as_mobile_changed_and_is_recorded_at_its_time():
    s, admin = console()
    user = add_user(s)
    with freeze_time(T0):
        s.login(credentials(s))
        appeal(s, admin, user.id)
    [session] = s.store.sessions.for_user(user.id)
    assert (session.ended_at, session.end_reason) == (T0, "mobile_changed")
    [event] = s.store.events_of(EventType.ADMIN_USER_MOBILE_CHANGED)
    assert event.occurred_at == T0


@pytest.mark.parametrize(
    "reason, key, facts",
    [
        ("  \n ", "invalid_input.reason_required", {}),
        ("很" * 201, "invalid_input.reason_too_long", {"max": 200}),
    ],
)
def test_a_missing_or_too_long_reason_is_refused_next_to_the_reason_field(reason, key, facts):
    s, admin = console()
    user = add_user(s)
    with pytest.raises(errors.InvalidInput) as refused:
        appeal(s, admin, user.id, reason=reason)
    assert (refused.value.key, refused.value.field, refused.value.facts) == (key, "reason", facts)


def test_a_reason_of_the_longest_length_is_taken():
    s, admin = console()
    user = add_user(s)
    appeal(s, admin, user.id, reason="很" * 200)
    [event] = s.store.events_of(EventType.ADMIN_USER_MOBILE_CHANGED)
    assert user.mobile == "13900139000" and event.detail["reason"] == "很" * 200


def test_an_auditor_may_not_change_a_mobile_and_the_refusal_is_recorded():
    s, auditor = console("auditor")
    user = add_user(s)
    with pytest.raises(errors.Forbidden):
        appeal(s, auditor, user.id)
    assert user.mobile == MOBILE and s.store.events_of(EventType.ADMIN_USER_MOBILE_CHANGED) == []
    [refused] = s.store.events_of(EventType.ADMIN_ACTION_REFUSED)
    assert (refused.user_id, refused.detail["action"]) == (user.id, "change_mobile")


@pytest.mark.parametrize(
    "mobile, reason, refusal, key",
    [
        ("13900139000", "  \n ", errors.InvalidInput, "invalid_input.reason_required"),
        ("13900139000", "很" * 201, errors.InvalidInput, "invalid_input.reason_too_long"),
        ("1390013900", "工单", errors.InvalidMobile, "invalid_mobile"),
        (MOBILE, "工单", errors.MobileUnchanged, "mobile_unchanged"),
        ("13700137000", "工单", errors.MobileInUse, "mobile_in_use"),
    ],
)
def test_a_refused_change_changes_nothing_and_records_nothing(mobile, reason, refusal, key):
    s, admin = console()
    user = add_user(s)
    add_user(s, "13700137000", nickname="Bob")
    token = s.login(credentials(s)).session.token
    before = len(s.store.events)
    with pytest.raises(refusal) as refused:
        appeal(s, admin, user.id, mobile, reason)
    assert refused.value.key == key
    assert user.mobile == MOBILE and s.load_session_user(token, CLIENT.ip) is not None
    assert len(s.store.events) == before


def test_a_number_taken_by_a_racing_account_at_commit_is_refused():
    s, admin = console()
    user = add_user(s)
    s.store.fail_next_commit = errors.Conflict()  # the unique constraint on users.mobile
    with pytest.raises(errors.MobileInUse):
        appeal(s, admin, user.id)
    assert s.store.events_of(EventType.ADMIN_USER_MOBILE_CHANGED) == []


def test_an_appeal_for_an_unknown_user_is_not_found():
    s, admin = console()
    with pytest.raises(errors.NotFound):
        appeal(s, admin, 42)


def test_a_number_given_by_an_appeal_is_one_the_account_held_when_it_is_erased():
    s, admin = console()
    user = add_user(s)
    appeal(s, admin, user.id)
    s.store.events.append(
        AuditEvent(EventType.SMS_CODE_SENT, datetime.now(UTC), CLIENT, "13900139000", None, {"purpose": "login"})
    )
    user.deletion_due_at = datetime.now(UTC) - timedelta(seconds=1)
    s.erase_due_accounts(CLIENT)
    assert not any("13900139000" in f"{e.mobile} {e.detail}" for e in s.store.events)
