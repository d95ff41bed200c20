"""设置 → 注销账号: the owner asks for the account to be erased; it is, after a cool-off, unless they sign in again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise
from domain.flows.sms_proof import check_code, spend_code
from domain.model import SessionEnd, SmsPurpose, User, normalize_password
from domain.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class DeletionRequest:
    """Proof of ownership: the current password, or an SMS code of purpose `delete_account` sent to the account's
    own mobile (the only proof an account without a password has). The code is checked inside the write
    transaction, every try counted; a wrong one is refused and the try committed."""

    user_id: int
    current_password: str | None
    client: ClientContext
    code: str | None = None  # `vercode`: given, it is the proof and the password is not asked for


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
        event: EventFacts = {"now": now, "client": cmd.client, "mobile": user.mobile, "user_id": user.id}
        # Outside any transaction, as in a password change: argon2 must not hold the row. An account without a
        # password is refused like a wrong one (it proves itself with a code).
        if cmd.code is None and not (
            user.password_hash is not None
            and self.hasher.verify(user.password_hash, normalize_password(cmd.current_password or ""))
        ):
            with self.uow() as uow:
                record_refusal_and_raise(
                    uow, errors.CurrentPasswordInvalid(), EventType.ACCOUNT_DELETION_REFUSED, **event
                )
        with self.uow() as uow:
            if cmd.code is not None:  # the code's row, then the user's: the order of the sign-in use cases
                proven = check_code(uow, user.mobile, SmsPurpose.DELETE_ACCOUNT, cmd.code, now, self.rules, cmd.client)
                if proven is None:
                    record_refusal_and_raise(uow, errors.SmsCodeInvalid(), EventType.ACCOUNT_DELETION_REFUSED, **event)
                spend_code(uow, user.mobile, SmsPurpose.DELETE_ACCOUNT, proven)
            user = uow.users.get_for_update(cmd.user_id)
            if user is None or user.mobile != event["mobile"]:
                raise errors.LoginRequired()  # erased, or moved to another mobile since the code was sent
            requested = user.request_deletion(now, self.rules)
            assert user.id is not None
            assert user.deletion_due_at is not None  # due now, or since an earlier request
            if requested:
                ended = uow.sessions.end_all(user.id, now, SessionEnd.DELETION_REQUESTED)
                record(
                    uow,
                    EventType.ACCOUNT_DELETION_REQUESTED,
                    due_at=user.deletion_due_at.isoformat(),
                    sessions_ended=ended,
                    **event,
                )
                uow.commit()
            return user.deletion_due_at


def cancel_pending_deletion(
    uow: UnitOfWork,
    user: User,
    *,
    now: datetime,
    client: ClientContext,
    mobile: str | None = None,
    user_id: int | None = None,
) -> bool:
    """For the sign-in use cases, once the person is proven: a sign-in during the cool-off keeps the account.
    Records `account.deletion_cancelled` (event: now, client, mobile, user_id) and says whether there was one."""
    if not user.cancel_deletion():
        return False
    record(uow, EventType.ACCOUNT_DELETION_CANCELLED, now=now, client=client, mobile=mobile, user_id=user_id)
    return True
