"""设置 → 注销账号: the owner asks for the account to be erased; it is, after a cool-off, unless they sign in again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import errors
from domain.events import ClientContext, EventType
from domain.model import SessionEnd, User, normalize_password
from domain.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from domain.rules import Rules
from domain.use_cases.common import record, record_refusal_and_raise


@dataclass(frozen=True)
class DeletionRequest:
    """Proof of ownership is the current password. The planned alternative, an SMS code of purpose
    `delete_account`, becomes a `vercode: str | None` field here, checked inside the write transaction below
    (uow.sms.current_for_update(user.mobile, "delete_account").try_code(...), so that every try is counted),
    once the send path offers that purpose."""

    user_id: int
    current_password: str
    client: ClientContext


class RequestAccountDeletion:
    """Starts the cool-off and ends every session at once. Asking again while it runs changes nothing.
    Returns when the account will be erased."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, rules: Rules):
        self.uow, self.hasher, self.clock, self.rules = uow, hasher, clock, rules

    def __call__(self, cmd: DeletionRequest) -> datetime:
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(cmd.user_id)
        if user is None:
            raise errors.LoginRequired()
        event = {"now": now, "client": cmd.client, "mobile": user.mobile, "user_id": user.id}
        # Outside any transaction, as in a password change: argon2 must not hold the row.
        if not self.hasher.verify(user.password_hash, normalize_password(cmd.current_password)):
            with self.uow() as uow:
                record_refusal_and_raise(uow, errors.CurrentPasswordInvalid(), EventType.ACCOUNT_DELETION_REFUSED,
                                         **event)
        with self.uow() as uow:
            user = uow.users.get_for_update(cmd.user_id)
            if user is None:
                raise errors.LoginRequired()
            if user.request_deletion(now, self.rules):
                ended = uow.sessions.end_all(user.id, now, SessionEnd.DELETION_REQUESTED)
                record(uow, EventType.ACCOUNT_DELETION_REQUESTED, due_at=user.deletion_due_at.isoformat(),
                       sessions_ended=ended, **event)
                uow.commit()
            return user.deletion_due_at


def cancel_pending_deletion(uow: UnitOfWork, user: User, **event: Any) -> bool:
    """For the sign-in use cases, once the person is proven: a sign-in during the cool-off keeps the account.
    Records `account.deletion_cancelled` (event: now, client, mobile, user_id) and says whether there was one."""
    if not user.cancel_deletion():
        return False
    record(uow, EventType.ACCOUNT_DELETION_CANCELLED, **event)
    return True
