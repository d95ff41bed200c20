"""First visit through the setup link: choose a password, add the TOTP secret to an authenticator app, confirm
a code, and get the recovery codes, shown this once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record, record_refusal_and_raise
from domain.model import check_new_password
from domain.operators import (
    RECOVERY_CODE_LENGTH,
    TOKEN_ALPHABET,
    Operator,
    format_recovery_code,
    recovery_digest,
    setup_digest,
)
from domain.ports import Clock, Codes, PasswordHasher, Totp, UnitOfWork, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class EnrolmentStart:
    username: str
    role: str
    provisioning_uri: str  # otpauth://, drawn as a QR code by the page
    manual_key: str


def _valid(uow: UnitOfWork, rules: Rules, token: str, now: datetime) -> Operator | None:
    operator = uow.operators.get_by_setup_digest_for_update(setup_digest(rules, token))
    return operator if operator is not None and operator.setup_link_valid(now) else None


class StartEnrolment:
    """The secret is made once per setup link, so reloading the page shows the same QR code."""

    def __init__(self, uow: UnitOfWorkFactory, totp: Totp, clock: Clock, rules: Rules):
        self.uow, self.totp, self.clock, self.rules = uow, totp, clock, rules

    def __call__(self, token: str) -> EnrolmentStart:
        with self.uow() as uow:
            operator = _valid(uow, self.rules, token, self.clock.now())
            if operator is None:
                raise errors.SetupLinkInvalid()
            if operator.totp_secret is None:
                operator.totp_secret = self.totp.new_secret()
                uow.commit()
            secret = operator.totp_secret
            return EnrolmentStart(
                operator.username,
                operator.role,
                self.totp.provisioning_uri(secret, operator.username),
                self.totp.manual_key(secret),
            )


@dataclass(frozen=True)
class Enrolment:
    token: str
    password: str
    confirmation: str
    code: str
    client: ClientContext


class FinishEnrolment:
    def __init__(
        self, uow: UnitOfWorkFactory, hasher: PasswordHasher, totp: Totp, clock: Clock, codes: Codes, rules: Rules
    ):
        self.uow, self.hasher, self.totp, self.clock, self.codes, self.rules = uow, hasher, totp, clock, codes, rules

    def __call__(self, cmd: Enrolment) -> list[str]:
        """The recovery codes, for the page to show once."""
        now, rules = self.clock.now(), self.rules
        event: EventFacts = {"now": now, "client": cmd.client}
        with self.uow() as uow:
            operator = _valid(uow, rules, cmd.token, now)
            if operator is None or operator.totp_secret is None:
                record_refusal_and_raise(uow, errors.SetupLinkInvalid(), EventType.ADMIN_ENROLMENT_REFUSED, **event)
            event.update({"operator_id": operator.id, "operator": operator.username})
        try:
            password = check_new_password(cmd.password, cmd.confirmation, rules)
            step = self.totp.matching_step(operator.totp_secret, cmd.code, now)
            if step is None:
                raise errors.TotpInvalid()
        except errors.DomainError as error:
            with self.uow() as uow:
                record_refusal_and_raise(uow, error, EventType.ADMIN_ENROLMENT_REFUSED, **event)
        password_hash = self.hasher.hash(password)  # outside the transaction, as everywhere
        codes = [self.codes.text(TOKEN_ALPHABET, RECOVERY_CODE_LENGTH) for _ in range(rules.operator_recovery_codes)]
        with self.uow() as uow:
            operator = _valid(uow, rules, cmd.token, now)
            if operator is None:  # a concurrent request used the link first
                record_refusal_and_raise(uow, errors.SetupLinkInvalid(), EventType.ADMIN_ENROLMENT_REFUSED, **event)
            assert operator.id is not None
            operator.password_hash, operator.enrolled_at, operator.last_totp_step = password_hash, now, step
            operator.recovery_codes = [recovery_digest(rules, operator.id, code) for code in codes]
            operator.setup_digest = operator.setup_expires_at = None
            operator.login_succeeded()
            record(uow, EventType.ADMIN_ENROLLED, **event)
            uow.commit()
        return [format_recovery_code(code) for code in codes]
