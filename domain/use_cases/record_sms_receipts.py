"""Delivery receipts pushed by the SMS providers: one event per message, however often a receipt is repeated."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True)
class SmsReceipt:
    provider: str
    message_id: str
    delivered: bool
    status: str  # the provider's status code, e.g. DELIVERED, DELIVRD, MK:0001


@dataclass(frozen=True)
class ReceiptsRecorded:
    recorded: int = 0
    repeated: int = 0  # a receipt for a message whose outcome is known already
    unknown: int = 0  # no code with that message id (purged, or another system's): acknowledged, not stored


class RecordSmsReceipts:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, receipts: list[SmsReceipt], client: ClientContext) -> ReceiptsRecorded:
        now = self.clock.now()
        recorded = repeated = unknown = 0
        with self.uow() as uow:
            # In message id order: two batches naming the same messages lock their rows in the same order.
            for receipt in sorted(receipts, key=lambda r: r.message_id):
                challenge = uow.sms.by_message_id_for_update(receipt.provider, receipt.message_id)
                if challenge is None:
                    unknown += 1
                elif not challenge.record_delivery(receipt.delivered):
                    repeated += 1
                else:
                    recorded += 1
                    kind = EventType.SMS_CODE_DELIVERED if receipt.delivered else EventType.SMS_CODE_DELIVERY_FAILED
                    record(
                        uow,
                        kind,
                        now=now,
                        client=client,
                        mobile=challenge.mobile,
                        purpose=challenge.purpose,
                        provider=receipt.provider,
                        message_id=receipt.message_id,
                        status=receipt.status,
                    )
            uow.commit()
        return ReceiptsRecorded(recorded, repeated, unknown)
