"""Operator sign-in (username, password, TOTP code or a recovery code), the session check on every console
request, and sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import errors
from domain.events import ClientContext, EventFacts, EventType
from domain.flows.audit import record_refusal_and_raise, refuse_wrong_password
from domain.flows.operator_actions import record_action
from domain.model import normalize_password, session_digest
from domain.operators import USERNAME, Actor, Operator, OperatorSession, looks_like_recovery_code
from domain.ports import Clock, PasswordHasher, Totp, UnitOfWorkFactory
from domain.rules import Rules

# A session's last_seen_at is written at most this often: one write a minute, not one per request. The idle
# timeout then ends a session up to this much early, never late.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class OperatorCredentials:
    username: str
    password: str
    code: str  # six TOTP digits, or a recovery code
    session_id: str  # the random id the entrypoint puts in the cookie; only its digest is stored
    client: ClientContext


class OperatorSignIn:
    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, totp: Totp, clock: Clock, rules: Rules):
        self.uow, self.hasher, self.totp, self.clock, self.rules = uow, hasher, totp, clock, rules
        self.dummy_hash = hasher.hash("not a password: equalizes timing for unknown operators")

    def __call__(self, cmd: OperatorCredentials) -> Actor:
        """Every refusal is the same BadCredentials, a lock included: whoever reaches /admin/login learns neither
        which usernames exist nor that they locked one (the audit log records which it was)."""
        try:
            return self._sign_in(cmd)
        except errors.AccountLocked:
            raise errors.BadCredentials("operator") from None

    def _sign_in(self, cmd: OperatorCredentials) -> Actor:
        now, rules = self.clock.now(), self.rules
        username = cmd.username.strip().lower()
        with self.uow() as uow:
            operator = uow.operators.get_by_username_for_update(username) if USERNAME.fullmatch(username) else None
            # What was typed is kept only when it names an operator: a passphrase typed in the wrong box is not.
            event: EventFacts = {"now": now, "client": cmd.client, "username": username if operator else "(unknown)"}
            usable = operator is not None and operator.can_sign_in
            armed_lock = False  # this try is the last one allowed: its failure locks the operator
            known_hash = self.dummy_hash  # unusable operators are verified against it: every failure costs the same
            if operator is not None:
                event["operator_id"] = operator.id
            if usable:
                assert operator is not None  # usable: found, enrolled with a password, not disabled
                assert operator.password_hash is not None
                known_hash = operator.password_hash
                try:
                    armed_lock = operator.start_login_attempt(now, rules)  # counted before anything is compared
                except errors.AccountLocked as error:
                    record_refusal_and_raise(uow, error, EventType.ADMIN_SIGN_IN_FAILED, **event)
                uow.commit()

        password = normalize_password(cmd.password)
        matches = self.hasher.verify(known_hash, password)
        with self.uow() as uow:
            operator = uow.operators.get_by_username_for_update(username)
            if operator is None:  # no such operator: refused as a wrong password is
                record_refusal_and_raise(
                    uow, errors.BadCredentials("operator"), EventType.ADMIN_SIGN_IN_FAILED, **event
                )
            factor = self._second_factor(operator, cmd.code, now) if usable and matches else None
            if factor is None:
                refuse_wrong_password(
                    uow,
                    operator,
                    usable and armed_lock,
                    errors.BadCredentials("operator"),
                    EventType.ADMIN_SIGN_IN_FAILED,
                    EventType.ADMIN_LOCKED,
                    **event,
                )
            assert operator.id is not None  # stored
            operator.login_succeeded()
            uow.operator_sessions.add(
                OperatorSession(
                    session_digest(rules, cmd.session_id, operator=True),
                    operator.id,
                    started_at=now,
                    last_seen_at=now,
                    ip=cmd.client.ip,
                    user_agent=(cmd.client.user_agent or "")[:512] or None,
                )
            )
            actor = operator.actor()
            record_action(uow, EventType.ADMIN_SIGNED_IN, actor, now=now, client=cmd.client, factor=factor)
            uow.commit()
            return actor

    def _second_factor(self, operator: Operator, code: str, now: datetime) -> str | None:
        """Which factor proved it: a TOTP code not used before, or an unused recovery code (used up here)."""
        if looks_like_recovery_code(code):
            return "recovery_code" if operator.use_recovery_code(code, self.rules) else None
        assert operator.totp_secret is not None  # enrolled, so its secret was confirmed
        step = self.totp.matching_step(operator.totp_secret, code, now)
        if step is None or step <= operator.last_totp_step:  # a replayed code, even within its 30 seconds
            return None
        operator.last_totp_step = step
        return "totp"


class LoadOperatorSession:
    """The operator behind a console cookie, or None once the session ended, expired or idled out, or the
    operator was disabled."""

    def __init__(self, reader: UnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.reader, self.uow, self.clock, self.rules = reader, uow, clock, rules

    def __call__(self, session_id: str) -> Actor | None:
        now, key = self.clock.now(), session_digest(self.rules, session_id, operator=True)
        with self.reader() as uow:
            session = uow.operator_sessions.get(key)
            if session is None or not session.alive(now, self.rules):
                return None
            operator = uow.operators.get(session.operator_id)
            if operator is None or not operator.can_sign_in:
                return None
            stale = now - session.last_seen_at >= TOUCH_INTERVAL
        if stale:
            with self.uow() as uow:
                session = uow.operator_sessions.get(key)
                assert session is not None  # operator sessions are ended, never deleted
                session.last_seen_at = max(session.last_seen_at, now)
                uow.commit()
        return operator.actor()


class OperatorSignOut:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, actor: Actor, session_id: str, client: ClientContext) -> None:
        now = self.clock.now()
        with self.uow() as uow:
            session = uow.operator_sessions.get(session_digest(self.rules, session_id, operator=True))
            if session is None or session.ended_at is not None:
                return
            session.ended_at = now
            record_action(uow, EventType.ADMIN_SIGNED_OUT, actor, now=now, client=client)
            uow.commit()
