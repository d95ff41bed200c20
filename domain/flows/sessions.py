"""Starting a session record: at sign-in, and under a new id after a password change. Shared by the use cases
that hand a browser a session (Login, ChangePassword)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.events import ClientContext
from domain.model import UserSession, session_digest
from domain.ports import Codes, UnitOfWork
from domain.rules import Rules

TOKEN_BYTES = 32  # the cookie's secret: 256 bits
PUBLIC_ID_BYTES = 16  # the name shown to the user: 128 bits, unrelated to the secret


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie only: the server keeps its keyed digest
    public_id: str
    remember: bool


def open_session(
    uow: UnitOfWork, codes: Codes, rules: Rules, *, user_id: int, remember: bool, now: datetime, client: ClientContext
) -> NewSession:
    """A sign-in: the absolute expiry is fixed here, 30 days with 记住我, 12 hours without."""
    lifetime = rules.remembered_session_lifetime if remember else rules.browser_session_lifetime
    return _add(
        uow,
        codes,
        rules,
        user_id=user_id,
        remember=remember,
        created_at=now,
        expires_at=now + lifetime,
        now=now,
        client=client,
    )


def rotate_session(
    uow: UnitOfWork, codes: Codes, rules: Rules, *, current: UserSession, now: datetime, client: ClientContext
) -> NewSession:
    """The same session under a new id (OWASP: renew the id when privileges change, e.g. a new password):
    sign-in time, absolute expiry and 记住我 carry over, so a password change never extends a session.
    The caller ends the old record."""
    return _add(
        uow,
        codes,
        rules,
        user_id=current.user_id,
        remember=current.remember,
        created_at=current.created_at,
        expires_at=current.expires_at,
        now=now,
        client=client,
    )


def _add(
    uow: UnitOfWork,
    codes: Codes,
    rules: Rules,
    *,
    user_id: int,
    remember: bool,
    created_at: datetime,
    expires_at: datetime,
    now: datetime,
    client: ClientContext,
) -> NewSession:
    token, public_id = codes.token(TOKEN_BYTES), codes.token(PUBLIC_ID_BYTES)
    uow.sessions.add(
        UserSession(
            public_id=public_id,
            token_digest=session_digest(rules, token),
            user_id=user_id,
            remember=remember,
            created_at=created_at,
            expires_at=expires_at,
            last_seen_at=now,
            ip=client.ip,
            user_agent=client.user_agent,
        )
    )
    return NewSession(token, public_id, remember)
