"""Sends a dead process left open: stored "sending", the provider's answer never recorded.

Whether the SMS went out is unknown, so the code was left working and counting against the limits; once it has
expired it is settled as "unconfirmed" with an `sms_code.sent` event (confirmed: false), so that every message a
provider may have accepted has its event. Run by `accounts purge`.
"""

from __future__ import annotations

from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.ports import Clock, UnitOfWorkFactory
from domain.rules import Rules


class SettleInterruptedSends:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, batch_size: int = 500) -> int:
        now = self.clock.now()
        settled = 0
        while True:
            with self.uow() as uow:
                stale = uow.sms.sending_since_before(now - self.rules.sms_code_ttl, batch_size)
                for challenge in stale:
                    challenge.send_unconfirmed()
                    record(
                        uow,
                        EventType.SMS_CODE_SENT,
                        now=now,
                        client=ClientContext(),
                        mobile=challenge.mobile,
                        purpose=challenge.purpose,
                        provider=None,
                        message_id=None,
                        confirmed=False,
                    )
                uow.commit()
            settled += len(stale)
            if len(stale) < batch_size:
                return settled
