"""The send path around the provider call: nothing held during it, what each answer leaves behind, the caps per
client address, receipts and the settling of sends a crash interrupted."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.model import SmsStatus
from domain.use_cases.record_sms_receipts import ReceiptsRecorded, SmsReceipt
from tests.builders import CLIENT, MOBILE, add_user, make_services, request_code, sms_request
from tests.fakes import FakeStore, FakeUnitOfWork

NOW = "2024-01-01 12:00:00"
ATTACKER = ClientContext(ip="198.51.100.66", user_agent="curl", request_id="a")
OWNER = ClientContext(ip="203.0.113.200", user_agent="phone", request_id="o")


def test_no_transaction_is_open_while_the_provider_is_called_and_the_code_is_already_stored():
    s = make_services()
    seen = []
    s.sender.during_send = lambda: seen.append(
        (s.store.open_transactions, [(c.status, c.spent) for c in s.store.sms.rows])
    )
    request_code(s)
    assert seen == [(0, [(SmsStatus.SENDING, False)])]
    assert s.store.sms.locks_taken == [(MOBILE, CLIENT.ip)]
    assert s.store.sms.rows[0].status == SmsStatus.SENT


def test_a_second_request_while_the_first_is_with_the_provider_meets_the_cooldown():
    s = make_services()
    refusals = []

    def second_request():
        s.sender.during_send = None
        with pytest.raises(errors.SmsCooldown) as refused:
            s.request_sms_code(sms_request(s))
        refusals.append(refused.value.slug)

    s.sender.during_send = second_request
    request_code(s)
    assert refusals == ["sms_cooldown"] and len(s.sender.sent) == 1


@pytest.mark.parametrize(
    "refusal, slug",
    [
        (errors.SmsNumberThrottled("aliyun", "isv.BUSINESS_LIMIT_CONTROL"), "sms_limit"),
        (errors.SmsNumberRejected("tencent", "InvalidParameterValue.IncorrectPhoneNumber"), "invalid_mobile"),
    ],
)
def test_a_provider_refusing_the_number_is_passed_on_and_spends_nothing(refusal, slug):
    s = make_services()
    s.sender.fail = refusal
    with freeze_time(NOW):
        with pytest.raises(errors.DomainError) as raised:
            s.request_sms_code(sms_request(s))
        assert raised.value is refusal and raised.value.slug == slug
        [challenge] = s.store.sms.rows
        assert (challenge.status, challenge.spent, challenge.provider) == ("failed", True, refusal.provider)
        [failed] = s.store.events_of(EventType.SMS_CODE_SEND_FAILED)
        assert failed.detail == {
            "purpose": "register",
            "reason": slug,
            "provider": refusal.provider,
            "provider_code": refusal.provider_code,
        }
        s.sender.fail = False
        request_code(s)  # at once: a refused send counts for no cooldown


def test_a_provider_failure_is_sms_unavailable_naming_the_provider_and_its_code():
    s = make_services()
    s.sender.fail = errors.SmsProviderFailed("tencent", "FailedOperation.InsufficientBalanceInSmsPackage")
    with pytest.raises(errors.SmsUnavailable):
        s.request_sms_code(sms_request(s))
    [failed] = s.store.events_of(EventType.SMS_CODE_SEND_FAILED)
    assert (failed.detail["provider"], failed.detail["provider_code"]) == (
        "tencent",
        "FailedOperation.InsufficientBalanceInSmsPackage",
    )


def test_failed_sends_count_against_no_daily_cap():
    s = make_services()
    s.sender.fail = errors.SmsProviderFailed("aliyun", "timeout")
    with freeze_time(NOW):
        for _ in range(12):
            with pytest.raises(errors.SmsUnavailable):
                s.request_sms_code(sms_request(s))
        s.sender.fail = False
        request_code(s)
    assert len(s.sender.sent) == 1


def test_one_address_cannot_spend_the_owners_daily_allowance():
    """Sends toward a mobile are capped per client address as well as overall: one address cannot use them up."""
    s = make_services()
    add_user(s)
    with freeze_time(NOW) as frozen:
        for _ in range(5):
            request_code(s, purpose="reset_password", client=ATTACKER)
            frozen.tick(61)
        with pytest.raises(errors.SmsLimitReached):
            s.request_sms_code(sms_request(s, purpose="reset_password", client=ATTACKER))
        request_code(s, purpose="reset_password", client=OWNER)  # the owner, elsewhere, the same day
    assert [c.client_ip for c in s.store.sms.rows][-1] == OWNER.ip


class BreakingUnitOfWork(FakeUnitOfWork):
    """Commits fail once the store is marked broken: the database went away mid-request."""

    def commit(self) -> None:
        if getattr(self.store, "broken", False):
            raise ConnectionError("database gone")
        super().commit()


def test_a_sent_code_whose_outcome_cannot_be_stored_still_answers_sent_and_is_settled_later():
    store = FakeStore()
    s = make_services(store=store, uow=lambda: BreakingUnitOfWork(store))
    s.sender.during_send = lambda: setattr(s.store, "broken", True)
    with freeze_time(NOW) as frozen:
        outcome = s.request_sms_code(sms_request(s))
        assert (outcome.recorded, outcome.record_error, outcome.provider) == (False, "ConnectionError", "fake")
        [challenge] = s.store.sms.rows
        assert (challenge.status, challenge.spent) == (SmsStatus.SENDING, False)  # counted, and the code works
        assert s.store.events_of(EventType.SMS_CODE_SENT) == []
        s.store.broken = False
        assert s.settle_sms_sends() == 0  # not before the code has expired: the process may still be at it
        frozen.tick(timedelta(minutes=5, seconds=1))
        assert s.settle_sms_sends() == 1 and s.settle_sms_sends() == 0
    assert challenge.status == SmsStatus.UNCONFIRMED
    [event] = s.store.events_of(EventType.SMS_CODE_SENT)
    assert event.mobile == MOBILE and event.detail["confirmed"] is False and event.detail["purpose"] == "register"


def test_one_lost_write_of_the_outcome_is_tried_again():
    s = make_services()
    s.sender.during_send = lambda: setattr(s.store, "fail_next_commit", ConnectionError("dropped"))
    outcome = s.request_sms_code(sms_request(s))
    assert outcome.recorded and s.store.sms.rows[0].status == SmsStatus.SENT


def test_receipts_are_recorded_once_per_message():
    s = make_services()
    request_code(s)
    receipt = SmsReceipt("fake", "fake-1", delivered=True, status="DELIVERED")
    assert s.record_sms_receipts([receipt, receipt], CLIENT) == ReceiptsRecorded(recorded=1, repeated=1)
    assert s.record_sms_receipts([receipt], CLIENT) == ReceiptsRecorded(repeated=1)
    other = [SmsReceipt("fake", "nope", True, "DELIVERED"), SmsReceipt("aliyun", "fake-1", False, "X")]
    assert s.record_sms_receipts(other, CLIENT) == ReceiptsRecorded(unknown=2)  # the id is per provider
    [event] = s.store.events_of(EventType.SMS_CODE_DELIVERED)
    assert event.mobile == MOBILE and event.detail == {
        "purpose": "register",
        "provider": "fake",
        "message_id": "fake-1",
        "status": "DELIVERED",
    }
    assert s.store.sms.rows[0].delivery == "delivered"


def test_a_failed_delivery_is_its_own_event():
    s = make_services()
    request_code(s)
    s.record_sms_receipts([SmsReceipt("fake", "fake-1", delivered=False, status="MK:0001")], CLIENT)
    [event] = s.store.events_of(EventType.SMS_CODE_DELIVERY_FAILED)
    assert event.detail["status"] == "MK:0001" and s.store.events_of(EventType.SMS_CODE_DELIVERED) == []


T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_the_answer_carries_the_providers_message_id():
    s = make_services()
    outcome = s.request_sms_code(sms_request(s))
    assert (outcome.provider, outcome.message_id, outcome.recorded, outcome.record_error) == (
        "fake",
        "fake-1",
        True,
        None,
    )


def test_a_sender_that_reports_nothing_has_sent_without_an_id():
    s = make_services()
    s.sender.send_code = lambda mobile, code, purpose: None
    with freeze_time(T0):
        outcome = s.request_sms_code(sms_request(s))
    assert (outcome.provider, outcome.message_id, outcome.recorded) == (None, None, True)
    assert s.store.sms.rows[0].status == SmsStatus.SENT
    assert s.store.events_of(EventType.SMS_CODE_SENT) == [
        AuditEvent(
            EventType.SMS_CODE_SENT,
            T0,
            CLIENT,
            MOBILE,
            None,
            {"purpose": "register", "provider": None, "message_id": None},
        )
    ]


class CountingBreakingUnitOfWork(BreakingUnitOfWork):
    attempts_while_broken = 0

    def commit(self) -> None:
        if getattr(self.store, "broken", False):
            CountingBreakingUnitOfWork.attempts_while_broken += 1
        super().commit()


def test_the_outcome_is_written_twice_at_most():
    store = FakeStore()
    CountingBreakingUnitOfWork.attempts_while_broken = 0
    s = make_services(store=store, uow=lambda: CountingBreakingUnitOfWork(store))
    s.sender.during_send = lambda: setattr(s.store, "broken", True)
    assert s.request_sms_code(sms_request(s)).recorded is False
    assert CountingBreakingUnitOfWork.attempts_while_broken == 2


def test_the_send_locks_are_taken_at_the_time_of_the_request():
    s = make_services()
    taken = []
    s.store.sms.hold_send_locks = lambda mobile, ip, now: taken.append((mobile, ip, now))
    with freeze_time(T0):
        request_code(s)
    assert taken == [(MOBILE, CLIENT.ip, T0)]


def test_receipts_are_counted_each():
    s = make_services()
    request_code(s)
    request_code(s, "13900139000")
    receipts = [SmsReceipt("fake", "fake-1", True, "DELIVERED"), SmsReceipt("fake", "fake-2", False, "MK:0001")]
    with freeze_time(T0):
        assert s.record_sms_receipts(receipts, CLIENT) == ReceiptsRecorded(recorded=2)
    assert s.record_sms_receipts(receipts, CLIENT) == ReceiptsRecorded(repeated=2)
    assert [e for e in s.store.events if e.type != EventType.SMS_CODE_SENT] == [
        AuditEvent(
            EventType.SMS_CODE_DELIVERED,
            T0,
            CLIENT,
            MOBILE,
            None,
            {"purpose": "register", "provider": "fake", "message_id": "fake-1", "status": "DELIVERED"},
        ),
        AuditEvent(
            EventType.SMS_CODE_DELIVERY_FAILED,
            T0,
            CLIENT,
            "13900139000",
            None,
            {"purpose": "register", "provider": "fake", "message_id": "fake-2", "status": "MK:0001"},
        ),
    ]


def test_interrupted_sends_are_settled_a_batch_at_a_time_and_recorded_in_full():
    store = FakeStore()
    s = make_services(store=store, uow=lambda: BreakingUnitOfWork(store))
    s.sender.during_send = lambda: setattr(s.store, "broken", True)
    with freeze_time(T0):
        for mobile in ("13800138000", "13900139000", "13700137000"):
            s.request_sms_code(sms_request(s, mobile))
            s.store.broken = False
    listed = []
    sending_since_before = s.store.sms.sending_since_before
    s.store.sms.sending_since_before = lambda before, limit: (
        listed.append(len(sending_since_before(before, limit))) or sending_since_before(before, limit)
    )
    settled_at = T0 + timedelta(minutes=6)
    with freeze_time(settled_at):
        assert s.settle_sms_sends(batch_size=2) == 3
    assert listed == [2, 1]
    [first, *_] = [e for e in s.store.events_of(EventType.SMS_CODE_SENT)]
    assert first == AuditEvent(
        EventType.SMS_CODE_SENT,
        settled_at,
        ClientContext(),
        "13800138000",
        None,
        {"purpose": "register", "provider": None, "message_id": None, "confirmed": False},
    )
