"""Recording what happened: an audit event, a refusal with the transaction's work committed, a wrong password that
may lock the account."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn, Unpack

from domain.errors import AccountLocked, DomainError
from domain.events import AuditEvent, ClientContext, EventFacts, EventType
from domain.model import Lockable
from domain.ports import UnitOfWork


def record(
    uow: UnitOfWork,
    event_type: EventType,
    *,
    now: datetime,
    client: ClientContext,
    mobile: str | None = None,
    user_id: int | None = None,
    **detail: Any,
) -> None:
    if client.forwarded_for_invalid:  # the event says whose address `ip` really is
        detail["forwarded_for_invalid"] = True
    uow.record(AuditEvent(event_type, now, client, mobile=mobile, user_id=user_id, detail=detail))


def record_refusal_and_raise(
    uow: UnitOfWork,
    error: DomainError,
    event_type: EventType,
    /,
    *,
    now: datetime,
    client: ClientContext,
    mobile: str | None = None,
    user_id: int | None = None,
    **detail: Any,
) -> NoReturn:
    """Record why a request was refused, COMMIT with it what the transaction already did (a spent captcha, a
    counted try), then raise `error`. The name says all three, so a call site reads as the end of its transaction."""
    record(uow, event_type, now=now, client=client, mobile=mobile, user_id=user_id, reason=error.slug, **detail)
    uow.commit()
    raise error


def refuse_wrong_password(
    uow: UnitOfWork,
    user: Lockable,
    armed_lock: bool,
    error: DomainError,
    event_type: EventType,
    lock_event: EventType = EventType.ACCOUNT_LOCKED,
    /,
    **event: Unpack[EventFacts],
) -> NoReturn:
    """A wrong password, its try counted (start_login_attempt) and committed before the compare; `user` (an account
    or an operator) re-read for update since. Refused with `error`, unless that try was the last one allowed
    (`armed_lock`) and the lock still stands (a correct password may have lifted it meanwhile): then this failure
    is what locked the account, recorded as such (`lock_event`) and answered with AccountLocked."""
    locked_for = user.lock_remaining(event["now"]) if armed_lock else 0
    if locked_for == 0:
        record_refusal_and_raise(uow, error, event_type, **event)
    assert user.locked_until is not None  # the lock that stands
    record(uow, event_type, reason=error.slug, **event)
    record(uow, lock_event, until=user.locked_until.isoformat(), **event)
    uow.commit()
    raise AccountLocked.for_seconds(locked_for)
