"""`accounts purge`: accounts whose cool-off has ended are erased.

Each account goes in one transaction that holds its row: either a sign-in got there first and cancelled the
deletion (the account stays whole), or the erasure did (the sign-in then finds no account). There is no
half-erased state to resurrect, and a re-run finds nothing left to do.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.model import pseudonymize_mobile
from domain.ports import Clock, UnitOfWorkFactory

# Detail keys that name the person, per event type: blanked in the kept events when the account is erased.
PERSONAL_DETAIL = {
    EventType.NICKNAME_CHANGED.value: ("previous", "nickname"),
    EventType.MOBILE_CHANGED.value: ("old_mobile", "new_mobile"),
}  # masked, but 7 of 11 digits


class EraseDueAccounts:
    """Deletes the account row (mobile, nickname, password hash: the mobile is free for a new account; every
    session ends with it) and its consents; the audit events stay (security investigation, legal retention)
    with every mobile in them replaced by its pseudonym. Returns how many accounts were erased."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, pseudonym_key: bytes):
        self.uow, self.clock = uow, clock
        self.pseudonym = partial(pseudonymize_mobile, pseudonym_key)

    def __call__(self, client: ClientContext, batch_size: int = 100) -> int:
        now, erased, after = self.clock.now(), 0, 0
        while True:
            with self.uow() as uow:
                due = uow.users.due_for_erasure(now, after, batch_size)
            if not due:
                return erased
            erased += sum(self._erase(user_id, now, client) for user_id in due)
            after = due[-1]  # onwards, even past one skipped: each run ends

    def _erase(self, user_id: int, now: datetime, client: ClientContext) -> bool:
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is not None:
                # Locked through its mobile, as a sign-in locks it: one lock order, or MySQL finds deadlocks
                # (a sign-in holds the mobile's index entry and waits for the row; deleting it needs both).
                user = uow.users.get_by_mobile_for_update(user.mobile)
            if user is None or user.id != user_id or user.deletion_due_at is None or user.deletion_due_at > now:
                return False  # a sign-in cancelled it after it was listed
            mobile = user.mobile
            changed = uow.audit.pseudonymize(user.id, mobile, now, self.pseudonym, PERSONAL_DETAIL)
            uow.consents.remove_for_user(user.id)
            uow.sessions.remove_for_user(user.id)
            uow.users.remove(user)
            record(
                uow,
                EventType.ACCOUNT_ERASED,
                now=now,
                client=client,
                mobile=self.pseudonym(mobile),
                user_id=user.id,
                events_pseudonymized=changed,
            )
            uow.commit()
            return True
