from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    CursorResult,
    Insert,
    Result,
    Select,
    String,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.sqlalchemy.tables import (
    audit_events,
    captcha_challenges,
    consents,
    sms_challenges,
    sms_quotas,
    user_sessions,
    users,
)
from domain import errors, ports
from domain.events import AuditEvent, ClientContext, EventType
from domain.model import (
    CaptchaChallenge,
    Consent,
    HeldNumber,
    SmsChallenge,
    SmsStatus,
    User,
    UserSession,
    pseudonymize_mentions,
)
from domain.ports import EventCursor


def cursor_result(result: Result[*tuple[Any, ...]]) -> CursorResult[*tuple[Any, ...]]:
    """What Session.execute returns for an INSERT, UPDATE or DELETE: typed as a Result, it is a CursorResult, with
    the row count and the inserted key (the cast SQLAlchemy's documentation gives)."""
    return cast(CursorResult[*tuple[Any, ...]], result)


def inserted_id(result: Result[*tuple[Any, ...]]) -> int:
    """The id a single-row INSERT gave its row."""
    key = cursor_result(result).inserted_primary_key
    assert key is not None  # None only after a statement that inserted nothing
    return int(key[0])


def upsert(session: Session, table: Table, row: dict[str, Any], *, key: Column[Any]) -> None:
    """INSERT `row`, or overwrite the row holding the same `key` with it: one statement in each dialect."""
    session.execute(_upsert_statement(session.get_bind().dialect.name, table, tuple(row), key), row)


@functools.cache
def _upsert_statement(dialect: str, table: Table, names: tuple[str, ...], key: Column[Any]) -> Insert:
    """Built once per table: a statement object keeps its cache key, so each call does not rebuild and re-key it."""
    values: dict[str, BindParameter[Any]] = {name: bindparam(name) for name in names}
    changed = [name for name in names if name != key.name]
    if dialect in ("mysql", "mariadb"):
        mysql_statement = mysql_insert(table).values(values)
        return mysql_statement.on_duplicate_key_update({name: mysql_statement.inserted[name] for name in changed})
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(values)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in changed}
    )


@functools.cache
def _user_by_mobile_for_update() -> Select[User]:
    """Built once (after the mapping exists): a statement object keeps its cache key, so each sign-in does not
    rebuild and re-key it."""
    return (
        select(User)
        .where(users.c.mobile == bindparam("mobile"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


class SqlUsers:
    def __init__(self, session: Session):
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def get_for_update(self, user_id: int) -> User | None:
        return self.session.get(User, user_id, with_for_update=True, populate_existing=True)

    def get_by_mobile(self, mobile: str) -> User | None:
        return self.session.scalars(select(User).where(users.c.mobile == mobile)).first()

    def get_by_mobile_for_update(self, mobile: str) -> User | None:
        return self.session.scalars(_user_by_mobile_for_update(), {"mobile": mobile}).first()

    def add(self, user: User) -> None:
        self.session.add(user)
        try:
            self.session.flush()  # assigns the id; a taken mobile fails here
        except IntegrityError as exc:
            raise errors.Conflict() from exc

    def remove(self, user: User) -> None:
        self.session.delete(user)

    def due_for_erasure(self, now: datetime, after_id: int, limit: int) -> list[int]:
        query = (
            select(users.c.id)
            .where(users.c.deletion_due_at <= now, users.c.id > after_id)
            .order_by(users.c.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))


# A code whose send failed reached no phone: it counts towards no cooldown or cap.
COUNTED = sms_challenges.c.status != SmsStatus.FAILED


class SqlSmsChallenges:
    def __init__(self, session: Session):
        self.session = session

    def add(self, challenge: SmsChallenge) -> None:
        self.session.add(challenge)

    def current_for_update(self, mobile: str, purpose: str) -> SmsChallenge | None:
        query = (
            select(SmsChallenge)
            .where(
                sms_challenges.c.mobile == mobile,
                sms_challenges.c.purpose == purpose,
                sms_challenges.c.spent.is_(False),
            )
            .order_by(sms_challenges.c.created_at.desc(), sms_challenges.c.id.desc())
            .limit(1)
            .with_for_update()
        )
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def last_sent_at(self, mobile: str) -> datetime | None:
        c = sms_challenges.c
        return self.session.scalar(select(func.max(c.created_at)).where(c.mobile == mobile, COUNTED))

    def count_for_mobile_since(self, mobile: str, since: datetime) -> int:
        c = sms_challenges.c
        return self.session.execute(
            select(func.count()).where(c.mobile == mobile, c.created_at >= since, COUNTED)
        ).scalar_one()

    def count_for_ip_since(self, ip: str, since: datetime) -> int:
        c = sms_challenges.c
        return self.session.execute(
            select(func.count()).where(c.client_ip == ip, c.created_at >= since, COUNTED)
        ).scalar_one()

    def count_for_mobile_and_ip_since(self, mobile: str, ip: str, since: datetime) -> int:
        c = sms_challenges.c
        return self.session.execute(
            select(func.count()).where(c.mobile == mobile, c.client_ip == ip, c.created_at >= since, COUNTED)
        ).scalar_one()

    def hold_send_locks(self, mobile: str, ip: str | None, now: datetime) -> None:
        for subject in [f"mobile:{mobile}"] + ([f"ip:{ip}"] if ip else []):
            self._lock_quota(subject, now)

    def _lock_quota(self, subject: str, now: datetime) -> None:
        """One upsert: it creates the subject's row the first time and, either way, holds its lock to commit
        (an exclusive lock on MariaDB too, where a plain INSERT's duplicate check would take a shared one that
        two waiting senders then both try to upgrade). On SQLite the write lock already serialises writers."""
        upsert(self.session, sms_quotas, {"subject": subject, "touched_at": now}, key=sms_quotas.c.subject)

    def get_for_update(self, challenge_id: int) -> SmsChallenge | None:
        return self.session.get(SmsChallenge, challenge_id, with_for_update=True, populate_existing=True)

    def spend_older(self, mobile: str, purpose: str, than_id: int) -> None:
        self.session.execute(
            update(SmsChallenge)
            .where(
                sms_challenges.c.mobile == mobile,
                sms_challenges.c.purpose == purpose,
                sms_challenges.c.spent.is_(False),
                sms_challenges.c.id < than_id,
            )
            .values(spent=True)
            .execution_options(synchronize_session=False)
        )

    def by_message_id_for_update(self, provider: str, message_id: str) -> SmsChallenge | None:
        query = (
            select(SmsChallenge)
            .where(sms_challenges.c.message_id == message_id, sms_challenges.c.provider == provider)
            .order_by(sms_challenges.c.id)
            .limit(1)
            .with_for_update()
        )
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def sending_since_before(self, before: datetime, limit: int) -> list[SmsChallenge]:
        query = (
            select(SmsChallenge)
            .where(sms_challenges.c.status == SmsStatus.SENDING, sms_challenges.c.created_at < before)
            .order_by(sms_challenges.c.id)
            .limit(limit)
            .with_for_update()
        )
        return list(self.session.scalars(query.execution_options(populate_existing=True)))


class SqlCaptchaChallenges:
    """Plain rows, no ORM identity: a captcha is written once and taken once."""

    def __init__(self, session: Session):
        self.session = session

    def put(self, challenge: CaptchaChallenge) -> None:
        """A new image for an id already issued replaces its answer: only the latest image can be solved."""
        upsert(
            self.session,
            captcha_challenges,
            {"id": challenge.id, "answer_digest": challenge.answer_digest, "expires_at": challenge.expires_at},
            key=captcha_challenges.c.id,
        )

    # Built once, with the id as a parameter (see _upsert_statement).
    REMOVE = delete(captcha_challenges).where(captcha_challenges.c.id == bindparam("id"))
    REMOVE_RETURNING = REMOVE.returning(captcha_challenges.c.answer_digest, captcha_challenges.c.expires_at)
    READ = select(captcha_challenges.c.answer_digest, captcha_challenges.c.expires_at).where(
        captcha_challenges.c.id == bindparam("id")
    )

    def take(self, captcha_id: str) -> CaptchaChallenge | None:
        key = {"id": captcha_id}
        if self.session.get_bind().dialect.delete_returning:
            # One statement: of concurrent takers, only the one whose DELETE removed the row gets it back.
            row = self.session.execute(self.REMOVE_RETURNING, key).first()
        else:
            # MySQL has no DELETE ... RETURNING: read, then delete. A concurrent taker's DELETE waits for the
            # first one's row lock and then removes nothing, so the row count still picks a single winner.
            row = self.session.execute(self.READ, key).first()
            if row is not None and cursor_result(self.session.execute(self.REMOVE, key)).rowcount != 1:
                row = None
        return None if row is None else CaptchaChallenge(captcha_id, row.answer_digest, row.expires_at)


def event_row(event: AuditEvent) -> dict:
    client = event.client
    return {
        "type": str(event.type),
        "occurred_at": event.occurred_at,
        "mobile": event.mobile,
        "user_id": event.user_id,
        "ip": client.ip,
        "user_agent": (client.user_agent or "")[:512] or None,
        "request_id": client.request_id,
        "detail": event.detail,
    }


def event_from_row(row: Any) -> AuditEvent:  # a Row of audit_events
    """The inverse of event_row, for every reader of the log (the console, a user's history, the data copy). A type
    this code does not know (written by a newer version, say) stays as stored: one such row breaks no page."""
    try:
        event_type: EventType | str = EventType(row.type)
    except ValueError:
        event_type = row.type
    return AuditEvent(
        event_type,
        row.occurred_at,
        ClientContext(row.ip, row.user_agent, row.request_id),
        mobile=row.mobile,
        user_id=row.user_id,
        detail=row.detail or {},
    )


INSERT_EVENTS = insert(audit_events)  # built once (see _upsert_statement)


def append_events(session: Session, events: list[AuditEvent]) -> None:
    if events:
        session.execute(INSERT_EVENTS, [event_row(e) for e in events])


PSEUDONYMIZE_BATCH = 500  # events read and rewritten per statement when an account is erased


class SqlAuditLog:
    def __init__(self, session: Session):
        self.session = session

    def recent_for_user(self, user_id: int, types: tuple[str, ...], limit: int) -> list[AuditEvent]:
        c = audit_events.c
        query = (
            select(audit_events)
            .where(c.user_id == user_id, c.type.in_(types))
            .order_by(c.occurred_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [event_from_row(row) for row in self.session.execute(query)]

    def page_for_user(self, user_id: int, after: EventCursor | None, limit: int) -> list[tuple[int, AuditEvent]]:
        return self._page(audit_events.c.user_id == user_id, after, limit)

    def page_unattributed(
        self,
        mobile: str,
        after: EventCursor | None,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[int, AuditEvent]]:
        c = audit_events.c
        about = and_(c.mobile == mobile, c.user_id.is_(None))
        if since is not None:
            about = and_(about, c.occurred_at >= since)
        if until is not None:
            about = and_(about, c.occurred_at < until)
        return self._page(about, after, limit)

    def _page(
        self, subject: ColumnElement[bool], after: EventCursor | None, limit: int
    ) -> list[tuple[int, AuditEvent]]:
        """Keyset paging on (occurred_at, id): the (user_id|mobile, occurred_at) indexes find each page
        directly, however deep into the history it is; ties on the time are split by id."""
        c = audit_events.c
        query = select(audit_events).where(subject).order_by(c.occurred_at, c.id).limit(limit)
        if after is not None:
            at, last_id = after
            query = query.where(or_(c.occurred_at > at, and_(c.occurred_at == at, c.id > last_id)))
        return [(row.id, event_from_row(row)) for row in self.session.execute(query)]

    def numbers_held(self, user_id: int) -> list[tuple[str, datetime]]:
        c = audit_events.c
        took = [EventType.USER_REGISTERED, EventType.MOBILE_CHANGED, EventType.ADMIN_USER_MOBILE_CHANGED]
        query = (
            select(c.mobile, c.occurred_at)
            .where(c.user_id == user_id, c.type.in_(took), c.mobile.is_not(None))
            .order_by(c.occurred_at, c.id)
        )
        return [(row.mobile, row.occurred_at) for row in self.session.execute(query)]

    def pseudonymize(
        self,
        user_id: int,
        held: Sequence[HeldNumber],
        pseudonym: Callable[[str], str],
        personal_detail: Mapping[str, tuple[str, ...]],
    ) -> int:
        c = audit_events.c
        changed: set[int] = set()
        # The account's own `mobile` column: one statement per distinct number (usually one or two); the HMAC is
        # computed here, not in SQL.
        own = c.user_id == user_id
        for number in self.session.scalars(select(c.mobile).where(own, c.mobile.is_not(None)).distinct()).all():
            at = and_(own, c.mobile == number)
            changed.update(self.session.scalars(select(c.id).where(at)).all())
            self.session.execute(update(audit_events).where(at).values(mobile=pseudonym(number)))
        # Then every event that may mention a held number: found by a LIKE on the JSON text (the same on SQLite,
        # PostgreSQL and MariaDB; digits are never escaped in JSON), rewritten precisely in Python, in batches.
        every = {h.number: pseudonym(h.number) for h in held}
        in_detail = or_(*(sql_cast(c.detail, String).like(f"%{number}%") for number in every), false())
        others = or_(c.user_id.is_(None), c.user_id != user_id)
        candidates = or_(
            and_(own, or_(c.type.in_(list(personal_detail)), in_detail)),
            and_(others, or_(c.mobile.in_(list(every)), in_detail)),
        )
        after = 0
        while True:
            rows = self.session.execute(
                select(c.id, c.user_id, c.occurred_at, c.type, c.mobile, c.detail)
                .where(candidates, c.id > after)
                .order_by(c.id)
                .limit(PSEUDONYMIZE_BATCH)
            ).all()
            if not rows:
                return len(changed)
            after = rows[-1].id
            rewrites = []
            for row in rows:
                if row.user_id == user_id:  # its `mobile` done above
                    mobile, detail = row.mobile, pseudonymize_mentions(row.detail, every)
                    if isinstance(detail, dict) and row.type in personal_detail:
                        detail = {k: None if k in personal_detail[row.type] else v for k, v in detail.items()}
                else:
                    covered = {h.number: every[h.number] for h in held if h.covers(row.user_id, row.occurred_at)}
                    mobile = covered.get(row.mobile, row.mobile) if row.mobile else row.mobile
                    detail = pseudonymize_mentions(row.detail, covered)
                if (mobile, detail) != (row.mobile, row.detail):
                    rewrites.append({"row_id": row.id, "new_mobile": mobile, "new_detail": detail})
            if rewrites:
                self.session.execute(
                    update(audit_events)
                    .where(c.id == bindparam("row_id"))
                    .values(mobile=bindparam("new_mobile"), detail=bindparam("new_detail")),
                    rewrites,
                )
                changed.update(r["row_id"] for r in rewrites)


class SqlSessions:
    """Mapped rows; activity and bulk ends are single UPDATE statements that touch only their own columns, so
    a request recording activity can never write back a stale `ended_at`."""

    def __init__(self, session: Session):
        self.session = session

    INSERT = insert(user_sessions)
    COLUMNS = tuple(column.key for column in user_sessions.c if column.key != "id")

    def add(self, record: UserSession) -> None:
        # One INSERT without the unit of work's bookkeeping: nothing in the transaction reads the record back.
        try:
            self.session.execute(self.INSERT, [{name: getattr(record, name) for name in self.COLUMNS}])
        except IntegrityError as exc:  # a digest or public id already taken
            raise errors.Conflict() from exc

    def get(self, token_digest: str) -> UserSession | None:
        return self.session.scalars(select(UserSession).where(user_sessions.c.token_digest == token_digest)).first()

    def get_for_update(self, token_digest: str) -> UserSession | None:
        query = select(UserSession).where(user_sessions.c.token_digest == token_digest).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def get_by_public_id_for_update(self, public_id: str) -> UserSession | None:
        query = select(UserSession).where(user_sessions.c.public_id == public_id).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def live_for_user(self, user_id: int, now: datetime) -> list[UserSession]:
        query = (
            select(UserSession)
            .where(
                user_sessions.c.user_id == user_id, user_sessions.c.ended_at.is_(None), user_sessions.c.expires_at > now
            )
            .order_by(user_sessions.c.last_seen_at.desc(), user_sessions.c.id.desc())
        )
        return list(self.session.scalars(query))

    def touch(self, session_id: int, now: datetime, ip: str | None) -> None:
        self.session.execute(
            update(UserSession)
            .where(user_sessions.c.id == session_id, user_sessions.c.ended_at.is_(None))
            .values(last_seen_at=now, ip=ip)
            .execution_options(synchronize_session=False)
        )

    def end_all(self, user_id: int, now: datetime, reason: str) -> int:
        ended = cursor_result(
            self.session.execute(
                update(UserSession)
                .where(user_sessions.c.user_id == user_id, user_sessions.c.ended_at.is_(None))
                .values(ended_at=now, end_reason=reason)
                .execution_options(synchronize_session=False)
            )
        )
        return ended.rowcount

    def for_user(self, user_id: int) -> list[UserSession]:
        query = (
            select(UserSession)
            .where(user_sessions.c.user_id == user_id)
            .order_by(user_sessions.c.created_at, user_sessions.c.id)
        )
        return list(self.session.scalars(query))

    def remove_for_user(self, user_id: int) -> None:
        self.session.execute(
            delete(UserSession).where(user_sessions.c.user_id == user_id).execution_options(synchronize_session=False)
        )


class SqlConsents:
    """Plain rows, like captchas: written once, read with the account, removed with it."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, consent: Consent) -> None:
        self.session.execute(
            insert(consents).values(
                user_id=consent.user_id, document=consent.document, version=consent.version, given_at=consent.given_at
            )
        )

    def for_user(self, user_id: int) -> list[Consent]:
        c = consents.c
        query = select(consents).where(c.user_id == user_id).order_by(c.given_at, c.id)
        return [Consent(row.user_id, row.document, row.version, row.given_at) for row in self.session.execute(query)]

    def remove_for_user(self, user_id: int) -> None:
        self.session.execute(delete(consents).where(consents.c.user_id == user_id))


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _users: type[ports.Users] = SqlUsers
    _sms_challenges: type[ports.SmsChallenges] = SqlSmsChallenges
    _captcha_challenges: type[ports.CaptchaChallenges] = SqlCaptchaChallenges
    _audit_log: type[ports.AuditLog] = SqlAuditLog
    _sessions: type[ports.Sessions] = SqlSessions
    _consents: type[ports.Consents] = SqlConsents
