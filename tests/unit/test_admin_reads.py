"""Console reads: the audit log filtered and exported (the export recorded), the dashboard's days and roll-up,
the SMS overview."""

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.console import METRICS, EventFilter
from domain.events import AuditEvent, ClientContext, EventType
from domain.operators import Actor
from domain.use_cases.admin.dashboard import DAYS
from domain.use_cases.admin.sms import SmsSend
from tests.builders import CLIENT, make_services
from tests.unit.admin_helpers import enrol, sign_in

# 10:00 in Beijing on 2026-03-10
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def console(role="admin"):
    s = make_services()
    enrol(s, role=role)
    return s, sign_in(s)


def add_event(s, event_type, at, **detail):
    s.store.events.append(
        AuditEvent(event_type, at, ClientContext(ip="198.51.100.1"), mobile="13800138000", user_id=7, detail=detail)
    )


def test_audit_search_filters_and_pages():
    s, admin = console()
    with freeze_time(NOW):
        for n in range(25):
            add_event(s, EventType.LOGIN_FAILED, NOW - timedelta(minutes=n), reason="bad_credentials")
        page = s.admin.search_events(admin, EventFilter(types=("login.failed",)), 1, CLIENT)
        assert len(page.items) == 20 and page.has_next and page.items[0].occurred_at == NOW
        window = EventFilter(types=("login.failed",), since=NOW - timedelta(minutes=10), until=NOW)
        assert len(s.admin.search_events(admin, window, 1, CLIENT).items) == 10
        assert s.admin.search_events(admin, EventFilter(ip="203.0.113.9"), 1, CLIENT).items == []


def test_export_is_recorded_with_its_filters_and_row_count():
    s, admin = console("auditor")
    where = EventFilter(types=("admin.signed_in",), user_id=None)
    rows = s.admin.export_events(admin, where, CLIENT)
    [event] = s.store.events_of(EventType.ADMIN_AUDIT_EXPORTED)
    assert (
        event.detail
        == {
            "operator_id": admin.operator_id,
            "operator": "wang",
            "filters": {"types": ["admin.signed_in"]},
            "rows": len(rows),
        }
        and len(rows) == 1
    )


def test_dashboard_counts_thirty_beijing_days_by_metric_and_method():
    s, admin = console()
    with freeze_time(NOW):
        add_event(s, EventType.USER_REGISTERED, NOW)
        add_event(s, EventType.LOGIN_SUCCEEDED, NOW)  # no method: a password sign-in
        add_event(s, EventType.LOGIN_SUCCEEDED, NOW, method="password")
        add_event(s, EventType.LOGIN_SUCCEEDED, NOW, method="sms")
        add_event(s, "sms_code.delivered", NOW - timedelta(days=1))
        add_event(s, "sms_code.delivery_failed", NOW - timedelta(days=1))
        add_event(s, EventType.SMS_CODE_SEND_FAILED, NOW - timedelta(days=1))
        add_event(s, "account.deletion_requested", NOW - timedelta(days=29))
        add_event(s, EventType.ACCOUNT_LOCKED, datetime(2026, 3, 9, 15, 59, tzinfo=UTC))  # 03-09 23:59 北京
        add_event(s, EventType.ACCOUNT_LOCKED, datetime(2026, 3, 9, 16, 0, tzinfo=UTC))  # 03-10 00:00 北京
        add_event(s, EventType.LOGIN_FAILED, NOW - timedelta(days=30))  # outside the window
        counts = s.admin.dashboard(admin, CLIENT)
    assert len(counts.days) == DAYS and counts.days[-1] == date(2026, 3, 10) and counts.days[0] == date(2026, 2, 9)
    assert set(counts.series) == set(METRICS)
    last = {metric: values[-1] for metric, values in counts.series.items()}
    assert (last["registrations"], last["sign_ins_password"], last["sign_ins_sms"], last["lockouts"]) == (1, 2, 1, 1)
    assert counts.series["lockouts"][-2] == 1
    assert (counts.series["sms_delivered"][-2], counts.series["sms_failed"][-2]) == (1, 2)
    assert counts.series["cancellations"][0] == 1 and sum(counts.series["sign_in_failures"]) == 0


def test_dashboard_rolls_up_settled_days_once_and_counts_recent_ones_live():
    s, admin = console()
    with freeze_time(NOW):
        add_event(s, EventType.USER_REGISTERED, NOW - timedelta(days=3))
        s.admin.dashboard(admin, CLIENT)
        settled = {day for day, _ in s.store.day_counts}
        # 02:00 UTC is 10:00 in Beijing: yesterday ended 10 hours ago, today has not ended.
        assert date(2026, 3, 9) in settled and date(2026, 3, 10) not in settled and len(settled) == DAYS - 1
        add_event(s, EventType.USER_REGISTERED, NOW - timedelta(days=3))  # a late event: the roll-up stands
        add_event(s, EventType.USER_REGISTERED, NOW)
        counts = s.admin.dashboard(admin, CLIENT)
    assert counts.series["registrations"][-4] == 1 and counts.series["registrations"][-1] == 1


def test_a_day_is_rolled_up_only_an_hour_after_it_ended():
    s, admin = console()
    just_after_midnight = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)  # 03-10 00:30 北京
    with freeze_time(just_after_midnight):
        s.admin.dashboard(admin, CLIENT)
    assert date(2026, 3, 9) not in {day for day, _ in s.store.day_counts}


def test_sms_overview_joins_receipts_and_counts_refusals_by_reason():
    s, admin = console()
    with freeze_time(NOW):
        add_event(s, EventType.SMS_CODE_SENT, NOW - timedelta(minutes=3), purpose="register")
        add_event(
            s,
            EventType.SMS_CODE_SENT,
            NOW - timedelta(minutes=2),
            purpose="register",
            provider="aliyun",
            message_id="biz-1",
        )
        add_event(s, EventType.SMS_CODE_SEND_FAILED, NOW - timedelta(minutes=1), purpose="reset_password")
        add_event(s, "sms_code.delivered", NOW, message_id="biz-1")
        for reason in ("sms_cooldown", "sms_cooldown", "captcha_invalid"):
            add_event(s, EventType.SMS_CODE_REFUSED, NOW, reason=reason)
        add_event(s, EventType.SMS_CODE_REFUSED, NOW - timedelta(days=8), reason="sms_limit")
        view = s.admin.view_sms(admin, 1, CLIENT)
    failed, delivered, plain = view.sends.items
    assert (failed.sent, delivered.sent, plain.sent) == (False, True, True)
    assert (delivered.provider, delivered.message_id, delivered.receipt) == ("aliyun", "biz-1", "sms_code.delivered")
    assert plain.receipt is None and plain.masked_mobile == "138****8000"
    assert view.shows_provider and view.shows_message_id and view.shows_receipt
    assert view.refusals == [("sms_cooldown", 2), ("captcha_invalid", 1)]


def test_sms_columns_stay_hidden_when_the_data_has_none():
    s, admin = console()
    add_event(s, EventType.SMS_CODE_SENT, datetime.now(UTC), purpose="register")
    view = s.admin.view_sms(admin, 1, CLIENT)
    assert not (view.shows_provider or view.shows_message_id or view.shows_receipt)


# --- pages at their edges, every field shown, the roll-up's corners -----------------------------------------


def test_a_full_last_page_of_the_audit_log_has_no_next():
    s, admin = console()
    base = len(s.store.events)  # the operator's own enrolment and sign-in
    with freeze_time(NOW):
        for n in range(20 - base):
            add_event(s, EventType.LOGIN_FAILED, NOW - timedelta(minutes=n))
        first = s.admin.search_events(admin, EventFilter(), 1, CLIENT)
        assert (len(first.items), first.number, first.has_next) == (20, 1, False)
        add_event(s, EventType.LOGIN_FAILED, NOW)
        second = s.admin.search_events(admin, EventFilter(), 2, CLIENT)
        assert (len(second.items), second.number, second.has_next) == (1, 2, False)


def test_an_export_is_recorded_when_it_was_made():
    s, admin = console()
    with freeze_time(NOW):
        s.admin.export_events(admin, EventFilter(), CLIENT)
    [event] = s.store.events_of(EventType.ADMIN_AUDIT_EXPORTED)
    assert (event.occurred_at, event.client) == (NOW, CLIENT)


def test_the_dashboards_today_is_beijings_and_yesterday_is_rolled_up_exactly_an_hour_after_it_ended():
    s, admin = console()
    one_am_in_beijing = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # 03-10 01:00 北京, 03-09 in UTC
    with freeze_time(one_am_in_beijing):
        counts = s.admin.dashboard(admin, CLIENT)
    assert counts.days[-1] == date(2026, 3, 10)
    assert date(2026, 3, 9) in {day for day, _ in s.store.day_counts}


def test_rolled_up_days_stand_at_both_ends_of_the_window():
    s, admin = console()
    with freeze_time(NOW):
        first = s.admin.dashboard(admin, CLIENT).days
        add_event(s, EventType.USER_REGISTERED, datetime.combine(first[0], datetime.min.time(), UTC))
        add_event(s, EventType.USER_REGISTERED, NOW - timedelta(days=1))  # late events of rolled-up days
        counts = s.admin.dashboard(admin, CLIENT)
    assert sum(counts.series["registrations"]) == 0


def test_a_day_rolled_up_before_a_metric_existed_shows_zero_for_it():
    s, admin = console()
    with freeze_time(NOW):
        s.admin.dashboard(admin, CLIENT)
        yesterday = date(2026, 3, 9)
        del s.store.day_counts[yesterday, "sms_delivered"]
        counts = s.admin.dashboard(admin, CLIENT)
    assert counts.series["sms_delivered"][-2] == 0


def test_a_day_rolled_up_between_two_missing_ones_is_not_counted_again():
    s, admin = console()
    with freeze_time(NOW):
        s.admin.dashboard(admin, CLIENT)
        kept = date(2026, 3, 5)
        s.store.day_counts = {key: n for key, n in s.store.day_counts.items() if key[0] == kept}
        add_event(s, EventType.USER_REGISTERED, NOW - timedelta(days=5))  # on the kept day, after its roll-up
        counts = s.admin.dashboard(admin, CLIENT)
    assert counts.series["registrations"][-6] == 0


def test_a_full_page_of_sms_sends_has_no_next_and_one_more_has():
    s, admin = console()
    with freeze_time(NOW):
        for n in range(20):
            add_event(s, EventType.SMS_CODE_SENT, NOW - timedelta(minutes=n), purpose="login")
        view = s.admin.view_sms(admin, 1, CLIENT)
        assert (len(view.sends.items), view.sends.number, view.sends.has_next) == (20, 1, False)
        add_event(s, EventType.SMS_CODE_SENT, NOW - timedelta(hours=1), purpose="login")
        view = s.admin.view_sms(admin, 1, CLIENT)
        assert (len(view.sends.items), view.sends.has_next) == (20, True)
        assert view.refusals_since == NOW - timedelta(days=7)


def test_each_sms_send_shows_every_field():
    s, admin = console()
    with freeze_time(NOW):
        add_event(
            s,
            EventType.SMS_CODE_SENT,
            NOW - timedelta(minutes=2),
            purpose="login",
            provider="aliyun",
            message_id="biz-1",
        )
        add_event(s, "sms_code.delivered", NOW - timedelta(minutes=1), message_id="biz-1")
        s.store.events.append(
            AuditEvent(
                EventType.SMS_CODE_SENT,
                NOW - timedelta(minutes=3),
                ClientContext(),
                detail={"purpose": "register", "message_id": ["biz-1"]},
            )
        )
        view = s.admin.view_sms(admin, 1, CLIENT)
    assert view.sends.items == [
        SmsSend(
            NOW - timedelta(minutes=2),
            "138****8000",
            "login",
            "198.51.100.1",
            True,
            "aliyun",
            "biz-1",
            "sms_code.delivered",
            NOW - timedelta(minutes=1),
        ),
        SmsSend(NOW - timedelta(minutes=3), "-", "register", None, True, None, None, None, None),
    ]


def stranger(s, admin):
    return Actor(admin.operator_id, admin.username, "superuser")


@pytest.mark.parametrize(
    "action, read",
    [
        ("read", lambda s, actor: s.admin.search_events(actor, EventFilter(), 1, CLIENT)),
        ("export", lambda s, actor: s.admin.export_events(actor, EventFilter(), CLIENT)),
        ("read", lambda s, actor: s.admin.dashboard(actor, CLIENT)),
        ("read", lambda s, actor: s.admin.view_sms(actor, 1, CLIENT)),
        ("read", lambda s, actor: s.admin.view_webhooks(actor, CLIENT)),
        ("read", lambda s, actor: s.admin.search_users(actor, "", 1, CLIENT)),
    ],
    ids=["search_events", "export_events", "dashboard", "view_sms", "view_webhooks", "search_users"],
)
def test_a_role_without_grants_is_refused_every_read_and_the_refusal_recorded(action, read):
    s, admin = console()
    with freeze_time(NOW), pytest.raises(errors.Forbidden):
        read(s, stranger(s, admin))
    assert s.store.events_of(EventType.ADMIN_ACTION_REFUSED) == [
        AuditEvent(
            EventType.ADMIN_ACTION_REFUSED,
            NOW,
            CLIENT,
            None,
            None,
            {"operator_id": admin.operator_id, "operator": "wang", "reason": "forbidden", "action": action},
        )
    ]


@pytest.mark.parametrize("user_id, recorded", [(5, 5), (0, None), (2**63 - 1, 2**63 - 1), (2**63, None)])
def test_a_refused_view_of_a_user_names_the_user_when_one_can_have_the_id(user_id, recorded):
    s, admin = console()
    with freeze_time(NOW), pytest.raises(errors.Forbidden):
        s.admin.view_user(stranger(s, admin), user_id, CLIENT)
    assert s.store.events_of(EventType.ADMIN_ACTION_REFUSED) == [
        AuditEvent(
            EventType.ADMIN_ACTION_REFUSED,
            NOW,
            CLIENT,
            None,
            recorded,
            {"operator_id": admin.operator_id, "operator": "wang", "reason": "forbidden", "action": "read"},
        )
    ]
