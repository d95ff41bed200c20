"""Operators are managed from the command line (`accounts admin ...`): the console has no page that makes one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import errors
from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.operators import SETUP_TOKEN_LENGTH, TOKEN_ALPHABET, Operator, Role, normalize_username, setup_digest
from domain.ports import Clock, Codes, UnitOfWork, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class SetupLink:
    """The one-time secret for a new operator's first visit; only its digest is stored."""

    username: str
    token: str
    expires_at: datetime


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise errors.InvalidInput("unknown_role", field="role") from None


class CreateOperator:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.clock, self.codes, self.rules = uow, clock, codes, rules

    def __call__(self, username: str, role: str, client: ClientContext) -> SetupLink:
        username, role = normalize_username(username), _role(role)
        now, token = self.clock.now(), self.codes.text(TOKEN_ALPHABET, SETUP_TOKEN_LENGTH)
        expires_at = now + self.rules.operator_setup_link_ttl
        try:
            with self.uow() as uow:
                if uow.operators.get_by_username_for_update(username) is not None:
                    raise errors.UsernameTaken()
                operator = Operator(
                    username, str(role), now, setup_digest=setup_digest(self.rules, token), setup_expires_at=expires_at
                )
                uow.operators.add(operator)
                record(
                    uow,
                    EventType.ADMIN_OPERATOR_CREATED,
                    now=now,
                    client=client,
                    operator_id=operator.id,
                    operator=username,
                    role=str(role),
                )
                uow.commit()
        except errors.Conflict:
            raise errors.UsernameTaken() from None  # a concurrent create of the same name won
        return SetupLink(username, token, expires_at)


class ResetOperator:
    """A lost authenticator and no recovery code left: a new setup link; the old password, TOTP secret,
    recovery codes and sessions stop working at once."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.clock, self.codes, self.rules = uow, clock, codes, rules

    def __call__(self, username: str, client: ClientContext) -> SetupLink:
        now, token = self.clock.now(), self.codes.text(TOKEN_ALPHABET, SETUP_TOKEN_LENGTH)
        with self.uow() as uow:
            operator = _existing(uow, username)
            if operator.disabled_at is not None:
                raise errors.InvalidInput("operator_disabled", field="username")
            operator.password_hash = operator.totp_secret = operator.enrolled_at = None
            operator.recovery_codes, operator.last_totp_step = [], 0
            operator.setup_digest = setup_digest(self.rules, token)
            operator.setup_expires_at = now + self.rules.operator_setup_link_ttl
            assert operator.id is not None
            uow.operator_sessions.end_all(operator.id, now)
            record(
                uow,
                EventType.ADMIN_OPERATOR_RESET,
                now=now,
                client=client,
                operator_id=operator.id,
                operator=operator.username,
            )
            uow.commit()
            return SetupLink(operator.username, token, operator.setup_expires_at)


class DisableOperator:
    """Returns False when the operator was already disabled (and records nothing)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, username: str, client: ClientContext) -> bool:
        now = self.clock.now()
        with self.uow() as uow:
            operator = _existing(uow, username)
            if operator.disabled_at is not None:
                return False
            operator.disabled_at = now
            operator.setup_digest = operator.setup_expires_at = None
            assert operator.id is not None
            uow.operator_sessions.end_all(operator.id, now)
            record(
                uow,
                EventType.ADMIN_OPERATOR_DISABLED,
                now=now,
                client=client,
                operator_id=operator.id,
                operator=operator.username,
            )
            uow.commit()
            return True


class ListOperators:
    def __init__(self, uow: UnitOfWorkFactory):
        self.uow = uow

    def __call__(self) -> list[Operator]:
        with self.uow() as uow:
            return uow.operators.list()


def _existing(uow: UnitOfWork, username: str) -> Operator:
    operator = uow.operators.get_by_username_for_update(username.strip().lower())
    if operator is None:
        raise errors.NotFound("operator")
    return operator
