"""短信: recent sends with what the provider said (when the data has it), and why sends were refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.console import EventFilter, Page
from domain.events import ClientContext, EventType
from domain.flows.operator_actions import require
from domain.model import mask_mobile
from domain.operators import Action, Actor
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.admin.users import page_number

REFUSALS_WINDOW = timedelta(days=7)
SENDS = (EventType.SMS_CODE_SENT.value, EventType.SMS_CODE_SEND_FAILED.value)


@dataclass(frozen=True)
class SmsSend:
    occurred_at: datetime
    masked_mobile: str
    purpose: str | None
    ip: str | None
    sent: bool  # False: the provider refused or failed (sms_code.send_failed)
    provider: str | None
    message_id: str | None
    receipt: str | None  # sms_code.delivered / sms_code.delivery_failed
    receipt_at: datetime | None


@dataclass(frozen=True)
class SmsOverview:
    sends: Page[SmsSend]
    refusals: list[tuple[str, int]]  # reason slug, count in the window
    refusals_since: datetime
    shows_provider: bool  # columns the data has something for
    shows_message_id: bool
    shows_receipt: bool


class ViewSms:
    def __init__(self, reader: UnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.reader, self.uow, self.clock, self.rules = reader, uow, clock, rules

    def __call__(self, actor: Actor, page: int, client: ClientContext) -> SmsOverview:
        require(actor, Action.READ, uow=self.uow, clock=self.clock, client=client)
        page, size, now = page_number(page), self.rules.console_page_size, self.clock.now()
        with self.reader() as uow:
            events = uow.console.events(EventFilter(types=SENDS), (page - 1) * size, size + 1)[: size + 1]
            ids = [e.detail["message_id"] for e in events[:size] if isinstance(e.detail.get("message_id"), str)]
            since = min((e.occurred_at for e in events[:size]), default=now)
            receipts = uow.console.delivery_receipts(ids, since) if ids else {}
            refusals = uow.console.refusal_reasons(EventType.SMS_CODE_REFUSED, now - REFUSALS_WINDOW)
        sends = []
        for event in events[:size]:
            message_id = event.detail.get("message_id")
            receipt = receipts.get(message_id) if isinstance(message_id, str) else None
            sends.append(
                SmsSend(
                    event.occurred_at,
                    mask_mobile(event.mobile) if event.mobile else "-",
                    event.detail.get("purpose"),
                    event.client.ip,
                    event.type == EventType.SMS_CODE_SENT,
                    event.detail.get("provider"),
                    message_id if isinstance(message_id, str) else None,
                    str(receipt.type) if receipt else None,
                    receipt.occurred_at if receipt else None,
                )
            )
        return SmsOverview(
            Page(sends, page, len(events) > size),
            refusals,
            now - REFUSALS_WINDOW,
            shows_provider=any(s.provider for s in sends),
            shows_message_id=any(s.message_id for s in sends),
            shows_receipt=any(s.receipt for s in sends) or bool(receipts),
        )
