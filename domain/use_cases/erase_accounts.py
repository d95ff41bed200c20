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
from domain.model import HeldNumber, pseudonymize_mobile
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory

# Detail keys that name the person, per event type: blanked in the kept events when the account is erased.
PERSONAL_DETAIL = {
    EventType.NICKNAME_CHANGED.value: ("previous", "nickname"),
    EventType.MOBILE_CHANGED.value: ("old_mobile", "new_mobile"),
}  # masked, but 7 of 11 digits


class EraseDueAccounts:
    """Deletes the account row (mobile, nickname, password hash: the mobile is free for a new account; every
    session ends with it) and its consents; the audit events stay (security investigation, legal retention)
    with every mobile in them replaced by its pseudonym. Returns how many accounts were erased.

    Not only the account's own events: every number it held (its sign-up's, each 换绑's or 申诉's, the current one) is
    pseudonymised wherever it is mentioned, in `mobile` or at any depth in `detail`: codes sent to it before the
    account existed or after it left it, another account's refused 换绑 to it, an operator's export filtered by it.
    A number another live account holds now keeps that account's mentions (model.HeldNumber).

    The pseudonyms are keyed (`pseudonym_key`, derived from SECRET_KEY): whoever holds the key can test all 10^10
    numbers and reverse them, so this is 去标识化 (de-identification), not 匿名化 (PIPL art. 73); the events stay
    personal information, kept for the audit retention only (docs/security.md "Erasure")."""

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
            changed = uow.audit.pseudonymize(user.id, self._held(uow, user.id, mobile), self.pseudonym, PERSONAL_DETAIL)
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

    @staticmethod
    def _held(uow: UnitOfWork, user_id: int, mobile: str) -> list[HeldNumber]:
        """Every number the account held, and which live account (if any) holds each now and since when."""
        held = []
        for number in sorted({number for number, _ in uow.audit.numbers_held(user_id)} | {mobile}):
            holder = uow.users.get_by_mobile(number)
            if holder is None or holder.id == user_id:
                held.append(HeldNumber(number))
                continue
            assert holder.id is not None  # a stored account
            taken = [at for n, at in uow.audit.numbers_held(holder.id) if n == number]
            held.append(HeldNumber(number, holder.id, max(taken) if taken else holder.created_at))
        return held
