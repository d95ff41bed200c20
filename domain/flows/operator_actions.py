"""An operator's action: the role checked before it (a refusal recorded), and the event recorded with who acted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import errors
from domain.events import ClientContext, EventType
from domain.flows.audit import record, record_refusal_and_raise
from domain.model import User
from domain.operators import Action, Actor
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory


def require(
    actor: Actor,
    action: Action,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    client: ClientContext,
    user_id: int | None = None,
) -> None:
    """403 unless the operator's role grants the action; a refusal is itself an audit event."""
    if actor.may(action):
        return
    with uow() as refusal:
        record_refusal_and_raise(
            refusal,
            errors.Forbidden(),
            EventType.ADMIN_ACTION_REFUSED,
            now=clock.now(),
            client=client,
            user_id=user_id,
            action=str(action),
            **actor.detail(),
        )


def record_action(
    uow: UnitOfWork,
    event_type: EventType,
    actor: Actor,
    *,
    now: datetime,
    client: ClientContext,
    user: User | None = None,
    **detail: Any,
) -> None:
    """An operator's action: who acted (detail.operator_id, detail.operator), on which user (user_id, mobile)."""
    record(
        uow,
        event_type,
        now=now,
        client=client,
        mobile=user.mobile if user else None,
        user_id=user.id if user else None,
        **actor.detail(),
        **detail,
    )
