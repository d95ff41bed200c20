"""注销 with a cool-off, erasure with pseudonyms, 个人信息副本, and consent: the use cases on fakes."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.model import MOBILE_PATTERN, Consent, pseudonymize_mobile
from domain.rules import PRIVACY_VERSION, TERMS_VERSION
from domain.use_cases.change_nickname import NicknameChange
from domain.use_cases.delete_account import DeletionRequest
from domain.use_cases.export_account_data import DataExportRequest
from domain.use_cases.sign_out_everywhere import SignOutEverywhereRequest
from tests.builders import (
    CLIENT,
    MOBILE,
    PASSWORD,
    PSEUDONYM_KEY,
    TEST_RULES,
    add_user,
    credentials,
    make_services,
    registration,
    request_code,
)
from tests.fakes import FakeAuditLog

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COOL_OFF = timedelta(days=15)
PURGE = ClientContext(user_agent="accounts purge", request_id="purge-1")


def request_deletion(s, user, password=PASSWORD):
    return s.request_account_deletion(DeletionRequest(user.id, password, CLIENT))


def pending_account(s, mobile=MOBILE):
    """A user who asked for deletion at T0 (the clock is left at T0)."""
    user = add_user(s, mobile)
    with freeze_time(T0):
        request_deletion(s, user)
    return user


# --- 注销: the request -------------------------------------------------------------------------------


def test_the_cool_off_is_fifteen_days_by_default():
    assert TEST_RULES.deletion_cool_off == COOL_OFF


def test_a_deletion_request_with_the_password_starts_the_cool_off_and_ends_every_session():
    s = make_services()
    user = add_user(s)
    with freeze_time(T0):
        tokens = [s.login(credentials(s)).session.token for _ in range(2)]
        due = request_deletion(s, user)
        assert [s.load_session_user(token, CLIENT.ip) for token in tokens] == [None, None]  # every session ended
    assert due == user.deletion_due_at == T0 + COOL_OFF
    assert {r.end_reason for r in s.store.sessions.rows.values()} == {"deletion_requested"}
    assert s.store.users.get(user.id) is user  # nothing is erased yet
    [event] = s.store.events_of(EventType.ACCOUNT_DELETION_REQUESTED)
    assert (event.user_id, event.mobile, event.client, event.detail) == (
        user.id,
        MOBILE,
        CLIENT,
        {"due_at": (T0 + COOL_OFF).isoformat(), "sessions_ended": 2},
    )


def test_a_wrong_password_is_refused_and_recorded_and_changes_nothing():
    s = make_services()
    user = add_user(s)
    with pytest.raises(errors.CurrentPasswordInvalid) as refused:
        request_deletion(s, user, "not my password")
    assert refused.value.field == "currentPassword"
    assert user.deletion_due_at is None and s.store.sessions.rows == {}
    assert s.store.events_of(EventType.ACCOUNT_DELETION_REQUESTED) == []
    [event] = s.store.events_of(EventType.ACCOUNT_DELETION_REFUSED)
    assert (event.user_id, event.detail["reason"]) == (user.id, "current_password_invalid")


def test_asking_again_during_the_cool_off_keeps_the_first_date_and_records_nothing_new():
    s = make_services()
    user = pending_account(s)
    with freeze_time(T0 + timedelta(days=3)):
        token = s.login(credentials(s)).session.token  # signing in cancels it: ask again, then again
        assert request_deletion(s, user) == T0 + timedelta(days=3) + COOL_OFF
        assert request_deletion(s, user) == T0 + timedelta(days=3) + COOL_OFF
        assert s.load_session_user(token, CLIENT.ip) is None
    assert len(s.store.events_of(EventType.ACCOUNT_DELETION_REQUESTED)) == 2


def test_the_password_is_checked_outside_the_transaction_that_writes():
    s = make_services()
    user = add_user(s)
    commits_during_verify = []
    verify = s.hasher.verify
    s.hasher.verify = lambda h, p: commits_during_verify.append(s.store.commits) or verify(h, p)
    request_deletion(s, user)
    assert commits_during_verify == [0] and s.store.commits == 1


def test_a_missing_or_erased_account_must_sign_in():
    s = make_services()
    with pytest.raises(errors.LoginRequired):
        s.request_account_deletion(DeletionRequest(42, PASSWORD, CLIENT))
    user = pending_account(s)
    with freeze_time(T0 + COOL_OFF):
        s.erase_due_accounts(PURGE)
    with pytest.raises(errors.LoginRequired):
        request_deletion(s, user)


def test_an_account_whose_mobile_changed_while_the_password_was_checked_must_sign_in_again():
    s = make_services()
    user = add_user(s)
    verify = s.hasher.verify

    def verify_while_the_mobile_changes(password_hash, password):
        user.mobile = "13900139000"  # 换绑手机号 in another browser; it ended this session
        return verify(password_hash, password)

    s.hasher.verify = verify_while_the_mobile_changes
    with pytest.raises(errors.LoginRequired):
        request_deletion(s, user)
    assert user.deletion_due_at is None
    assert s.store.events_of(EventType.ACCOUNT_DELETION_REQUESTED) == []


# --- 注销: signing in again during the cool-off ----------------------------------------------------------


def test_signing_in_during_the_cool_off_cancels_the_deletion_and_says_so():
    s = make_services()
    user = pending_account(s)
    with freeze_time(T0 + COOL_OFF - timedelta(seconds=1)):
        signed_in = s.login(credentials(s))
    assert signed_in.deletion_cancelled is True and user.deletion_due_at is None
    [event] = s.store.events_of(EventType.ACCOUNT_DELETION_CANCELLED)
    assert (event.user_id, event.mobile, event.client) == (user.id, MOBILE, CLIENT)
    assert event.occurred_at == T0 + COOL_OFF - timedelta(seconds=1)
    assert s.login(credentials(s)).deletion_cancelled is False  # only the once
    assert len(s.store.events_of(EventType.ACCOUNT_DELETION_CANCELLED)) == 1
    with freeze_time(T0 + COOL_OFF * 2):
        assert s.erase_due_accounts(PURGE) == 0
    assert s.store.users.get(user.id) is user


def test_a_wrong_password_during_the_cool_off_cancels_nothing():
    s = make_services()
    user = pending_account(s)
    with pytest.raises(errors.BadCredentials):
        s.login(credentials(s, password="not my password"))
    assert user.deletion_due_at == T0 + COOL_OFF
    assert s.store.events_of(EventType.ACCOUNT_DELETION_CANCELLED) == []


def test_an_ordinary_sign_in_cancels_nothing():
    s = make_services()
    add_user(s)
    assert s.login(credentials(s)).deletion_cancelled is False
    assert s.store.events_of(EventType.ACCOUNT_DELETION_CANCELLED) == []


def test_a_sign_in_whose_account_is_erased_while_the_password_is_checked_is_refused():
    """The erasure runs between the two transactions of a sign-in: the second finds no account to sign in to."""
    s = make_services()
    user = pending_account(s)
    verify = s.hasher.verify

    def erase_meanwhile(password_hash, password):
        with freeze_time(T0 + COOL_OFF):
            assert s.erase_due_accounts(PURGE) == 1
        return verify(password_hash, password)

    s.hasher.verify = erase_meanwhile
    with pytest.raises(errors.BadCredentials):
        s.login(credentials(s))
    assert s.store.users.get(user.id) is None
    assert s.store.events_of(EventType.LOGIN_SUCCEEDED) == []
    assert s.store.events_of(EventType.ACCOUNT_DELETION_CANCELLED) == []
    # Written after the erasure, the failure must not tie the erased account to its number again.
    failed = s.store.events_of(EventType.LOGIN_FAILED)[-1]
    assert (failed.mobile, failed.user_id) == (MOBILE, None)
    assert not any(e.user_id == user.id and e.mobile == MOBILE for e in s.store.events)


def test_a_sign_in_never_lands_in_a_new_account_on_the_erased_accounts_mobile():
    """Erased and re-registered while the old password is verified: the new account is not the one proven."""
    s = make_services()
    old = pending_account(s)
    verify = s.hasher.verify

    def erase_and_register_meanwhile(password_hash, password):
        with freeze_time(T0 + COOL_OFF):
            s.erase_due_accounts(PURGE)
        newcomer = add_user(s, MOBILE, password="someone else's")
        newcomer.password_hash = old_hash  # the worst case: even the same password must not let it in
        return verify(password_hash, password)

    old_hash = old.password_hash
    s.hasher.verify = erase_and_register_meanwhile
    with pytest.raises(errors.BadCredentials):
        s.login(credentials(s))
    assert s.store.events_of(EventType.LOGIN_SUCCEEDED) == []


# --- erasure ---------------------------------------------------------------------------------------------


def history(s, user):
    """A few events about the account, one unattributed event about its mobile, and one of someone else."""
    s.change_nickname(NicknameChange(user.id, "小明", CLIENT))
    s.login(credentials(s))
    other = add_user(s, "13900139000", nickname="Bob")
    s.login(credentials(s, "13900139000"))
    return other


def test_nothing_is_erased_before_the_cool_off_ends():
    s = make_services()
    user = pending_account(s)
    with freeze_time(T0 + COOL_OFF - timedelta(microseconds=1)):
        assert s.erase_due_accounts(PURGE) == 0
    assert s.store.users.get(user.id) is user


def test_erasure_removes_the_account_its_consents_and_its_sessions():
    s = make_services()
    user = add_user(s)
    s.store.consents.add(Consent(user.id, "terms", "v1", T0))
    with freeze_time(T0):
        token = s.login(credentials(s)).session.token
        request_deletion(s, user)
    with freeze_time(T0 + COOL_OFF):
        assert s.erase_due_accounts(PURGE) == 1
    assert s.store.users.get(user.id) is None and s.store.users.get_by_mobile(MOBILE) is None
    assert s.load_session_user(token, CLIENT.ip) is None and s.store.sessions.for_user(user.id) == []
    assert s.store.consents.for_user(user.id) == []
    with pytest.raises(errors.BadCredentials):
        s.login(credentials(s))


def test_erasure_replaces_the_mobile_in_every_kept_event_by_a_keyed_pseudonym():
    s = make_services()
    with freeze_time(T0 - timedelta(days=1)):
        request_code(s, MOBILE)  # before the account: a sign-up code, an event that names no user
        user = add_user(s)
        other = history(s, user)
    with freeze_time(T0):
        request_deletion(s, user)
    before = list(s.store.events)
    with freeze_time(T0 + COOL_OFF):
        s.erase_due_accounts(PURGE)
    pseudonym = pseudonymize_mobile(PSEUDONYM_KEY, MOBILE)
    assert len(s.store.events) == len(before) + 1  # no row removed: one more, the erasure itself
    for old, new in zip(before, s.store.events, strict=False):
        assert (old.type, old.occurred_at, old.user_id, old.client) == (
            new.type,
            new.occurred_at,
            new.user_id,
            new.client,
        )
        if old.mobile == MOBILE:
            assert new.mobile == pseudonym
        else:
            assert new.mobile == old.mobile  # the other account's events, captchas: untouched
    assert all(e.mobile != MOBILE for e in s.store.events)
    assert any(e.user_id == other.id and e.mobile == "13900139000" for e in s.store.events)
    [renamed] = s.store.events_of(EventType.NICKNAME_CHANGED)
    assert renamed.detail == {"previous": None, "nickname": None}  # the old names went with the account
    [erased] = s.store.events_of(EventType.ACCOUNT_ERASED)
    changed = sum(1 for e in before if e.mobile == MOBILE)
    assert (erased.user_id, erased.mobile, erased.client, erased.detail) == (
        user.id,
        pseudonym,
        PURGE,
        {"events_pseudonymized": changed},
    )


def test_the_pseudonym_is_stable_keyed_short_and_never_a_mobile():
    one = pseudonymize_mobile(PSEUDONYM_KEY, MOBILE)
    assert one == pseudonymize_mobile(PSEUDONYM_KEY, MOBILE)  # investigations can still correlate
    assert one != pseudonymize_mobile(PSEUDONYM_KEY, "13800138001")
    assert one != pseudonymize_mobile(b"another key", MOBILE)  # without the key, nothing to compare with
    assert re.fullmatch(r"x[a-z2-7]{10}", one) and not MOBILE_PATTERN.fullmatch(one)


def test_the_mobile_is_free_again_and_a_new_account_gets_a_new_id_and_none_of_the_old_events():
    s = make_services()
    old = pending_account(s)
    with freeze_time(T0 + COOL_OFF):
        s.erase_due_accounts(PURGE)
    with freeze_time(T0 + COOL_OFF + timedelta(minutes=1)):
        new_id = s.register_user(registration(request_code(s, MOBILE)))
    assert new_id != old.id
    copy = s.export_account_data(DataExportRequest(new_id, CLIENT))
    events = list(copy.events)
    assert all(e.user_id in (None, new_id) for e in events)
    assert not any(e.type == EventType.ACCOUNT_DELETION_REQUESTED for e in events)


def test_unattributed_events_after_the_erasure_keep_their_mobile():
    s = make_services()
    pending_account(s)
    with freeze_time(T0 + COOL_OFF):
        s.erase_due_accounts(PURGE)
    with freeze_time(T0 + COOL_OFF + timedelta(seconds=1)):
        request_code(s, MOBILE)  # the next owner of the number asks for a sign-up code
    assert s.store.events_of(EventType.SMS_CODE_SENT)[-1].mobile == MOBILE


def test_erasure_is_idempotent_and_batched():
    s = make_services()
    users = [add_user(s, f"1380013800{i}") for i in range(5)]
    with freeze_time(T0):
        for user in users:
            request_deletion(s, user)
    with freeze_time(T0 + COOL_OFF):
        assert s.erase_due_accounts(PURGE, batch_size=2) == 5
        assert s.erase_due_accounts(PURGE, batch_size=2) == 0
    assert s.store.users.rows == {}
    assert len(s.store.events_of(EventType.ACCOUNT_ERASED)) == 5


def test_erasure_lists_the_due_accounts_a_batch_at_a_time():
    s = make_services()
    users = [add_user(s, f"1380013800{i}") for i in range(5)]
    with freeze_time(T0):
        for user in users:
            request_deletion(s, user)
    listed = []
    due_for_erasure = s.store.users.due_for_erasure
    s.store.users.due_for_erasure = lambda now, after, limit: (
        listed.append(due_for_erasure(now, after, limit)) or listed[-1]
    )
    with freeze_time(T0 + COOL_OFF):
        assert s.erase_due_accounts(PURGE, batch_size=2) == 5
    assert [len(batch) for batch in listed] == [2, 2, 1, 0]


def test_an_erasure_records_when_it_happened():
    s = make_services()
    user = pending_account(s)
    with freeze_time(T0 + COOL_OFF + timedelta(hours=1)):
        s.erase_due_accounts(PURGE)
    [event] = s.store.events_of(EventType.ACCOUNT_ERASED)
    assert (event.occurred_at, event.user_id, event.client) == (T0 + COOL_OFF + timedelta(hours=1), user.id, PURGE)


@pytest.mark.parametrize("meanwhile", ["cancelled", "requested again"])
def test_an_account_whose_deletion_was_cancelled_after_it_was_listed_stays(meanwhile):
    s = make_services()
    user = pending_account(s)
    get = s.store.users.get

    def get_after_a_sign_in_cancelled(user_id):  # the erasure's transaction, after the listing's
        user.deletion_due_at = None if meanwhile == "cancelled" else T0 + COOL_OFF * 2
        return get(user_id)

    s.store.users.get = get_after_a_sign_in_cancelled
    with freeze_time(T0 + COOL_OFF):
        assert s.erase_due_accounts(PURGE) == 0
    assert s.store.users.get(user.id) is user
    assert s.store.events_of(EventType.ACCOUNT_ERASED) == []


def test_a_run_ends_and_erases_the_rest_when_one_account_cannot_be_taken_now():
    """Say its number changed between the listing and the lock: it waits for the next run, the others go."""
    s = make_services()
    users = [add_user(s, f"1380013800{i}") for i in range(4)]
    with freeze_time(T0):
        for user in users:
            request_deletion(s, user)
    lock = s.store.users.get_by_mobile_for_update
    s.store.users.get_by_mobile_for_update = lambda mobile: None if mobile == users[1].mobile else lock(mobile)
    with freeze_time(T0 + COOL_OFF):
        assert s.erase_due_accounts(PURGE, batch_size=1) == 3
    assert list(s.store.users.rows) == [users[1].id]


def test_a_failed_erasure_leaves_the_account_and_its_events_untouched():
    s = make_services()
    user = pending_account(s)
    before = list(s.store.events)
    s.store.fail_next_commit = RuntimeError("database went away")
    with freeze_time(T0 + COOL_OFF), pytest.raises(RuntimeError):
        s.erase_due_accounts(PURGE)
    assert s.store.users.get(user.id) is user and user.deletion_due_at == T0 + COOL_OFF
    assert s.store.events == before


# --- 个人信息副本 -------------------------------------------------------------------------------------------


def test_the_copy_holds_the_account_consents_sessions_and_every_event_oldest_first_read_in_pages():
    s = make_services(rules=dataclasses.replace(TEST_RULES, export_page_size=2))
    with freeze_time(T0) as clock:
        request_code(s, MOBILE)  # before the account: names the mobile only
        clock.tick(60)
        user_id = s.register_user(registration(s.sender.sent[-1][1]))
        for _ in range(6):
            clock.tick(1)
            s.login(credentials(s))
        history(s, s.store.users.get(user_id))
        pages_before = s.store.pages_read
        copy = s.export_account_data(DataExportRequest(user_id, CLIENT))
    assert s.store.pages_read == pages_before  # nothing read yet: the events come as they are consumed
    assert copy.generated_at == T0 + timedelta(seconds=66)
    assert copy.account == {
        "id": user_id,
        "mobile": MOBILE,
        "nickname": "小明",
        "created_at": T0 + timedelta(seconds=60),
        "failed_logins": 0,
        "last_failure_at": None,
        "locked_until": None,
    }
    assert "password_hash" not in copy.account
    assert [(c.document, c.version) for c in copy.consents] == [("terms", TERMS_VERSION), ("privacy", PRIVACY_VERSION)]
    assert [(x["signed_in_at"], x["ended_at"]) for x in copy.sessions] == [
        (T0 + timedelta(seconds=60 + i), None) for i in (1, 2, 3, 4, 5, 6, 6)
    ]  # its seven sign-ins, not Bob's
    assert not any("token" in key or "digest" in key for x in copy.sessions for key in x)  # never the secret
    events = list(copy.events)
    mine = [e for e in s.store.events if e.user_id == user_id or (e.user_id is None and e.mobile == MOBILE)]
    assert events == sorted(mine, key=lambda e: e.occurred_at)  # all of them, not the last 20
    assert events[0].type == EventType.SMS_CODE_SENT and events[-1].type == EventType.DATA_EXPORTED
    assert all(e.user_id != 2 for e in events)  # Bob's sign-in is not in Alice's copy
    assert s.store.pages_read - pages_before >= len(events) // 2  # two at a time


def test_the_copy_merges_both_histories_by_time_in_pages_without_repeats(monkeypatch):
    s = make_services(rules=dataclasses.replace(TEST_RULES, export_page_size=3, sms_cooldown=timedelta(0)))
    limits = []
    page_unattributed = FakeAuditLog.page_unattributed
    monkeypatch.setattr(
        FakeAuditLog,
        "page_unattributed",
        lambda self, mobile, after, limit, **bounds: (
            limits.append(limit) or page_unattributed(self, mobile, after, limit, **bounds)
        ),
    )
    with freeze_time(T0) as clock:
        for _ in range(4):  # codes sent before the account: they name the mobile only
            request_code(s, MOBILE)
            clock.tick(10)
        user_id = s.register_user(registration(s.sender.sent[-1][1]))
    # A sign-in that started between the second and third code but committed last: its event is older than
    # what was logged before it.
    late = AuditEvent(
        EventType.LOGIN_FAILED, T0 + timedelta(seconds=15), CLIENT, MOBILE, user_id, {"reason": "bad_credentials"}
    )
    s.store.events.append(late)
    with freeze_time(T0 + timedelta(seconds=50)):
        copy = s.export_account_data(DataExportRequest(user_id, CLIENT))
    events = list(copy.events)
    assert [(e.type, e.occurred_at - T0) for e in events] == [
        (EventType.SMS_CODE_SENT, timedelta(seconds=0)),
        (EventType.SMS_CODE_SENT, timedelta(seconds=10)),
        (EventType.LOGIN_FAILED, timedelta(seconds=15)),
        (EventType.SMS_CODE_SENT, timedelta(seconds=20)),
        (EventType.SMS_CODE_SENT, timedelta(seconds=30)),
        (EventType.USER_REGISTERED, timedelta(seconds=40)),
        (EventType.CONSENT_GIVEN, timedelta(seconds=40)),
        (EventType.DATA_EXPORTED, timedelta(seconds=50)),
    ]
    assert limits == [3, 3]  # four unattributed events: a full page, then the rest


def test_the_copy_holds_events_about_a_number_only_while_the_account_held_it():
    s = make_services(rules=dataclasses.replace(TEST_RULES, sms_cooldown=timedelta(0)))
    new = "13900139000"
    hour = timedelta(hours=1)
    with freeze_time(T0 - 24 * hour):  # the numbers' previous holders, before the account existed
        request_code(s, MOBILE)
        request_code(s, new)
    with freeze_time(T0 - timedelta(seconds=30)):
        request_code(s, MOBILE)  # the code that proves the number at sign-up: this holder's
    with freeze_time(T0):
        user_id = s.register_user(registration(s.sender.sent[-1][1]))
    with freeze_time(T0 + hour):
        request_code(s, MOBILE, purpose="reset_password")  # about its number while it holds it
    # 换绑 to the new number two hours in (the event ChangeMobile records, and the row it changes).
    user = s.store.users.get(user_id)
    user.mobile = new
    s.store.events.append(AuditEvent(EventType.MOBILE_CHANGED, T0 + 2 * hour, CLIENT, new, user_id, {}))
    with freeze_time(T0 + 3 * hour):
        request_code(s, MOBILE)  # the old number's next holder signs up
        request_code(s, new, purpose="reset_password")  # about the account's number now
    with freeze_time(T0 + 4 * hour):
        copy = s.export_account_data(DataExportRequest(user_id, CLIENT))
    assert [(e.type, e.mobile, e.user_id, e.occurred_at - T0) for e in copy.events] == [
        (EventType.SMS_CODE_SENT, MOBILE, None, timedelta(seconds=-30)),
        (EventType.USER_REGISTERED, MOBILE, user_id, timedelta(0)),
        (EventType.CONSENT_GIVEN, MOBILE, user_id, timedelta(0)),
        (EventType.SMS_CODE_SENT, MOBILE, None, hour),
        (EventType.MOBILE_CHANGED, new, user_id, 2 * hour),
        (EventType.SMS_CODE_SENT, new, None, 3 * hour),
        (EventType.DATA_EXPORTED, new, user_id, 4 * hour),
    ]


def test_without_its_sign_up_event_a_copy_holds_no_guess_about_earlier_numbers():
    """Past the audit retention the sign-up event is gone: the number held before the first change known is not
    known, and events naming no account before that change stay out."""
    s = make_services()
    user = add_user(s, "13900139000")
    s.store.events.append(AuditEvent(EventType.LOGIN_FAILED, T0, CLIENT, MOBILE, None, {}))
    s.store.events.append(AuditEvent(EventType.LOGIN_FAILED, T0, CLIENT, "13900139000", None, {}))
    s.store.events.append(
        AuditEvent(EventType.MOBILE_CHANGED, T0 + timedelta(hours=1), CLIENT, "13900139000", user.id, {})
    )
    with freeze_time(T0 + timedelta(hours=2)):
        copy = s.export_account_data(DataExportRequest(user.id, CLIENT))
    assert [e.type for e in copy.events] == [EventType.MOBILE_CHANGED, EventType.DATA_EXPORTED]


def test_an_account_gets_a_few_copies_a_window_then_waits_for_the_oldest_to_leave_it():
    s = make_services()
    user = add_user(s)
    limit, window = TEST_RULES.data_copies_per_window, TEST_RULES.data_copy_window
    with freeze_time(T0) as clock:
        for _ in range(limit):
            list(s.export_account_data(DataExportRequest(user.id, CLIENT)).events)
            clock.tick(60)
        with pytest.raises(errors.DataCopyLimitReached) as refused:
            s.export_account_data(DataExportRequest(user.id, CLIENT))
        wait = window - timedelta(minutes=limit)  # until the first copy, made at T0, is a window old
        assert refused.value.retry_after == wait.total_seconds()
        assert refused.value.facts == {"minutes": wait.total_seconds() // 60}
        assert len(s.store.events_of(EventType.DATA_EXPORTED)) == limit  # the refusal made no copy
        other = add_user(s, "13900139000")
        s.export_account_data(DataExportRequest(other.id, CLIENT))  # another account's limit is its own
        clock.move_to(T0 + window)
        s.export_account_data(DataExportRequest(user.id, CLIENT))


def test_with_no_sign_up_or_change_event_the_current_number_counts_from_the_accounts_creation():
    """From the creation less one code's lifetime (the code that proved the number), and not before."""
    s = make_services()
    with freeze_time(T0):
        user = add_user(s)  # no events: they were purged
    ttl = TEST_RULES.sms_code_ttl

    def unattributed(at, mobile=MOBILE):
        s.store.events.append(AuditEvent(EventType.LOGIN_FAILED, at, CLIENT, mobile, None, {}))

    unattributed(T0 - ttl - timedelta(seconds=1))  # the number's previous holder
    unattributed(T0 - ttl)
    unattributed(T0 - timedelta(seconds=1))
    unattributed(T0 + timedelta(hours=1))
    unattributed(T0 + timedelta(hours=1), mobile=None)  # names no number: nobody's
    with freeze_time(T0 + timedelta(hours=2)):
        copy = s.export_account_data(DataExportRequest(user.id, CLIENT))
    assert [(e.type, e.mobile, e.occurred_at - T0) for e in copy.events] == [
        (EventType.LOGIN_FAILED, MOBILE, -ttl),
        (EventType.LOGIN_FAILED, MOBILE, timedelta(seconds=-1)),
        (EventType.LOGIN_FAILED, MOBILE, timedelta(hours=1)),
        (EventType.DATA_EXPORTED, MOBILE, timedelta(hours=2)),
    ]


def test_each_number_counts_from_its_change_until_the_next_one():
    """Three numbers: the middle one's period ends at the second change; a changed-to number counts from the
    change itself (its code went to the account, so anything naming no account before it is someone else's)."""
    s = make_services()
    second, third = "13900139000", "13700137000"
    hour = timedelta(hours=1)
    with freeze_time(T0):
        user = add_user(s, third)

    def event(event_type, at, mobile, user_id=None):
        s.store.events.append(AuditEvent(event_type, T0 + at, CLIENT, mobile, user_id, {}))

    event(EventType.USER_REGISTERED, timedelta(0), MOBILE, user.id)
    event(EventType.LOGIN_FAILED, 2 * hour - timedelta(minutes=1), second)  # just before the account took it
    event(EventType.MOBILE_CHANGED, 2 * hour, second, user.id)
    event(EventType.LOGIN_FAILED, 3 * hour, second)  # while it held the second number
    event(EventType.MOBILE_CHANGED, 4 * hour, third, user.id)
    event(EventType.LOGIN_FAILED, 5 * hour, second)  # after it left it
    event(EventType.MOBILE_CHANGED, 6 * hour, None, user.id)  # names no number: opens no period
    event(EventType.LOGIN_FAILED, 7 * hour, None)  # names no account and no number: nobody's
    with freeze_time(T0 + 8 * hour):
        copy = s.export_account_data(DataExportRequest(user.id, CLIENT))
    assert [(e.type, e.mobile, e.user_id, e.occurred_at - T0) for e in copy.events] == [
        (EventType.USER_REGISTERED, MOBILE, user.id, timedelta(0)),
        (EventType.MOBILE_CHANGED, second, user.id, 2 * hour),
        (EventType.LOGIN_FAILED, second, None, 3 * hour),
        (EventType.MOBILE_CHANGED, third, user.id, 4 * hour),
        (EventType.MOBILE_CHANGED, None, user.id, 6 * hour),
        (EventType.DATA_EXPORTED, third, user.id, 8 * hour),
    ]


def test_a_copy_reads_only_the_newest_changes_it_is_allowed_to():
    """Past `data_copy_mobile_history` changes, the older numbers' events naming no account are left out."""
    s = make_services(rules=dataclasses.replace(TEST_RULES, data_copy_mobile_history=1))
    new = "13900139000"
    with freeze_time(T0):
        user = add_user(s, new)
    s.store.events.append(AuditEvent(EventType.USER_REGISTERED, T0, CLIENT, MOBILE, user.id, {}))
    s.store.events.append(AuditEvent(EventType.LOGIN_FAILED, T0 + timedelta(minutes=1), CLIENT, MOBILE, None, {}))
    s.store.events.append(AuditEvent(EventType.MOBILE_CHANGED, T0 + timedelta(hours=1), CLIENT, new, user.id, {}))
    with freeze_time(T0 + timedelta(hours=2)):
        copy = s.export_account_data(DataExportRequest(user.id, CLIENT))
    assert [e.type for e in copy.events] == [
        EventType.USER_REGISTERED,
        EventType.MOBILE_CHANGED,
        EventType.DATA_EXPORTED,
    ]


def test_the_copy_limit_counts_only_the_copies_in_the_window():
    s = make_services()
    user = add_user(s)
    limit, window = TEST_RULES.data_copies_per_window, TEST_RULES.data_copy_window
    with freeze_time(T0) as clock:
        s.export_account_data(DataExportRequest(user.id, CLIENT))  # long before: out of the window
        clock.move_to(T0 + 2 * window)
        for _ in range(limit):
            s.export_account_data(DataExportRequest(user.id, CLIENT))
            clock.tick(1)
        clock.move_to(T0 + 3 * window - timedelta(seconds=61))
        with pytest.raises(errors.DataCopyLimitReached) as refused:
            s.export_account_data(DataExportRequest(user.id, CLIENT))
    assert refused.value.retry_after == 61
    assert refused.value.facts == {"minutes": 2}  # a minute and a second, rounded up


def test_the_copy_lists_each_session_as_the_server_keeps_it():
    s = make_services()
    add_user(s)
    with freeze_time(T0):
        signed_in = s.login(credentials(s, remember=True))
    user_id = signed_in.user_id
    with freeze_time(T0 + timedelta(hours=1)):
        s.sign_out_everywhere(SignOutEverywhereRequest(user_id, CLIENT))
        copy = s.export_account_data(DataExportRequest(user_id, CLIENT))
    assert copy.sessions == [
        {
            "id": signed_in.session.public_id,
            "signed_in_at": T0,
            "last_seen_at": T0,
            "ip": "203.0.113.7",
            "user_agent": "pytest",
            "remember": True,
            "expires_at": T0 + timedelta(days=30),
            "ended_at": T0 + timedelta(hours=1),
            "end_reason": "signed_out_everywhere",
        }
    ]


def test_the_copy_is_recorded():
    s = make_services()
    user = add_user(s)
    s.export_account_data(DataExportRequest(user.id, CLIENT))
    [event] = s.store.events_of(EventType.DATA_EXPORTED)
    assert (event.user_id, event.mobile, event.client) == (user.id, MOBILE, CLIENT)


def test_no_copy_without_an_account():
    s = make_services()
    with pytest.raises(errors.LoginRequired):
        s.export_account_data(DataExportRequest(7, CLIENT))
    assert s.store.events == []


# --- consent ---------------------------------------------------------------------------------------------


def test_a_sign_up_records_both_documents_in_their_current_versions():
    s = make_services()
    with freeze_time(T0):
        user_id = s.register_user(registration(request_code(s)))
    assert [(c.user_id, c.document, c.version, c.given_at) for c in s.store.consents.rows] == [
        (user_id, "terms", TERMS_VERSION, T0),
        (user_id, "privacy", PRIVACY_VERSION, T0),
    ]
    [event] = s.store.events_of(EventType.CONSENT_GIVEN)
    assert (event.user_id, event.mobile, event.detail) == (
        user_id,
        MOBILE,
        {"documents": {"terms": TERMS_VERSION, "privacy": PRIVACY_VERSION}},
    )


def test_a_refused_sign_up_records_no_consent():
    s = make_services()
    code = request_code(s)
    with pytest.raises(errors.AgreementRequired):
        s.register_user(registration(code, agreement=False))
    with pytest.raises(errors.SmsCodeInvalid):
        s.register_user(registration("000000" if code != "000000" else "111111"))
    assert s.store.consents.rows == [] and s.store.events_of(EventType.CONSENT_GIVEN) == []


def test_erasure_pseudonymises_every_mention_of_every_number_the_account_held_in_every_event():
    """Its sign-up number (left by 换绑, then taken by Bob) and its current one, in `mobile` and at any depth of
    `detail`, in events that are not its own; Bob's events about the number he now holds stay his."""
    s = make_services()
    first, current = MOBILE, "13700137000"
    user = add_user(s, current)
    carol = add_user(s, "13600136000", nickname="Carol")
    day = T0 - timedelta(days=1)

    def at(minutes, event_type, mobile, user_id=None, **detail):
        s.store.events.append(AuditEvent(event_type, day + timedelta(minutes=minutes), CLIENT, mobile, user_id, detail))

    at(0, EventType.SMS_CODE_SENT, first, purpose="register")  # before the account existed
    at(1, EventType.USER_REGISTERED, first, user.id)
    at(2, EventType.MOBILE_CHANGED, current, user.id, old_mobile="138****8000", new_mobile="137****7000")
    at(3, EventType.SMS_CODE_SENT, first, purpose="register")  # after it left the number
    at(4, EventType.SMS_CODE_REFUSED, current, carol.id, purpose="change_mobile", reason="mobile_in_use")
    exported = {"filters": {"mobile": current, "q": [f"mobile={first}"], "n": int(current)}, "message_id": f"9{first}1"}
    at(5, EventType.ADMIN_AUDIT_EXPORTED, None, None, **exported)  # an operator's export filtered by its numbers
    bob = add_user(s, first, nickname="Bob")  # the next holder of its first number
    at(6, EventType.USER_REGISTERED, first, bob.id)
    at(7, EventType.SMS_CODE_SENT, first, purpose="login")  # Bob's, by time
    at(8, EventType.LOGIN_SUCCEEDED, first, bob.id)
    with freeze_time(T0):
        request_deletion(s, user)
    with freeze_time(T0 + COOL_OFF):
        s.erase_due_accounts(PURGE)

    first_pseudonym, current_pseudonym = (pseudonymize_mobile(PSEUDONYM_KEY, n) for n in (first, current))
    events = s.store.events
    assert [e.mobile for e in events[:5]] == [first_pseudonym, first_pseudonym, current_pseudonym] + [
        first_pseudonym,
        current_pseudonym,
    ]
    assert (events[3].user_id, events[4].user_id, events[4].detail["reason"]) == (None, carol.id, "mobile_in_use")
    assert events[5].detail == {
        "filters": {"mobile": current_pseudonym, "q": [f"mobile={first_pseudonym}"], "n": current_pseudonym},
        "message_id": f"9{first}1",  # a longer digit string is not the number
    }
    assert [e.mobile for e in events[6:9]] == [first] * 3  # Bob's: from the moment he took the number
    assert not any(current in f"{e.mobile} {e.detail}" for e in events)
    [erased] = s.store.events_of(EventType.ACCOUNT_ERASED)
    assert erased.detail == {"events_pseudonymized": 7}  # the five above, the export, the deletion request


def test_erasure_takes_the_next_holders_creation_as_when_they_took_a_number_no_event_says():
    """Their sign-up event was purged: events naming the number before their account existed are the erased
    account's, and from its creation on they are the next holder's."""
    s = make_services()
    current = "13700137000"
    with freeze_time(T0 - timedelta(days=10)):
        user = add_user(s, current)
    s.store.events.append(AuditEvent(EventType.USER_REGISTERED, T0 - timedelta(days=10), CLIENT, MOBILE, user.id, {}))
    s.store.events.append(AuditEvent(EventType.MOBILE_CHANGED, T0 - timedelta(days=9), CLIENT, current, user.id, {}))
    s.store.events.append(AuditEvent(EventType.LOGIN_FAILED, T0 - timedelta(days=5), CLIENT, MOBILE, None, {}))
    with freeze_time(T0 - timedelta(days=2)):
        add_user(s, MOBILE, nickname="Bob")  # no event says when he took the number
    s.store.events.append(AuditEvent(EventType.LOGIN_FAILED, T0 - timedelta(days=1), CLIENT, MOBILE, None, {}))
    with freeze_time(T0):
        request_deletion(s, user)
    with freeze_time(T0 + COOL_OFF):
        assert s.erase_due_accounts(PURGE) == 1
    pseudonym = pseudonymize_mobile(PSEUDONYM_KEY, MOBILE)
    failed = s.store.events_of(EventType.LOGIN_FAILED)
    assert [e.mobile for e in failed] == [pseudonym, MOBILE]
