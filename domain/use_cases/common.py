from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from domain.errors import DomainError
from domain.events import AuditEvent, ClientContext, EventType
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


def record_refusal_and_raise(uow: UnitOfWork, error: DomainError, event_type: EventType, /, **event: Any) -> NoReturn:
    """Record why a request was refused, COMMIT with it what the transaction already did (a spent captcha, a
    counted try), then raise `error`. The name says all three, so a call site reads as the end of its transaction."""
    record(uow, event_type, reason=error.slug, **event)
    uow.commit()
    raise error
