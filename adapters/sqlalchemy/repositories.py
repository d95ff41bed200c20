from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.sqlalchemy.tables import audit_events, captcha_challenges, ended_sessions, sms_challenges, sms_quotas
from domain import errors
from domain.events import AuditEvent, ClientContext, EventType
from domain.model import CaptchaChallenge, SmsChallenge, SmsStatus, User


class SqlUsers:
    def __init__(self, session: Session):
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def get_for_update(self, user_id: int) -> User | None:
        return self.session.get(User, user_id, with_for_update=True, populate_existing=True)

    def get_by_mobile(self, mobile: str) -> User | None:
        return self.session.scalars(select(User).where(User.mobile == mobile)).first()

    def get_by_mobile_for_update(self, mobile: str) -> User | None:
        query = select(User).where(User.mobile == mobile).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def add(self, user: User) -> None:
        self.session.add(user)
        try:
            self.session.flush()  # assigns the id; a taken mobile fails here
        except IntegrityError as exc:
            raise errors.Conflict() from exc


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
            .where(SmsChallenge.mobile == mobile, SmsChallenge.purpose == purpose, SmsChallenge.spent.is_(False))
            .order_by(SmsChallenge.created_at.desc(), SmsChallenge.id.desc())
            .limit(1)
            .with_for_update()
        )
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def spend_all(self, mobile: str, purpose: str) -> None:
        self.session.execute(
            update(SmsChallenge)
            .where(SmsChallenge.mobile == mobile, SmsChallenge.purpose == purpose, SmsChallenge.spent.is_(False))
            .values(spent=True)
            .execution_options(synchronize_session=False)
        )

    def last_sent_at(self, mobile: str) -> datetime | None:
        c = sms_challenges.c
        return self.session.scalar(select(func.max(c.created_at)).where(c.mobile == mobile, COUNTED))

    def count_for_mobile_since(self, mobile: str, since: datetime) -> int:
        c = sms_challenges.c
        return self.session.scalar(select(func.count()).where(c.mobile == mobile, c.created_at >= since, COUNTED))

    def count_for_ip_since(self, ip: str, since: datetime) -> int:
        c = sms_challenges.c
        return self.session.scalar(select(func.count()).where(c.client_ip == ip, c.created_at >= since, COUNTED))

    def count_for_mobile_and_ip_since(self, mobile: str, ip: str, since: datetime) -> int:
        c = sms_challenges.c
        return self.session.scalar(select(func.count()).where(
            c.mobile == mobile, c.client_ip == ip, c.created_at >= since, COUNTED))

    def hold_send_locks(self, mobile: str, ip: str | None, now: datetime) -> None:
        for subject in [f"mobile:{mobile}"] + ([f"ip:{ip}"] if ip else []):
            self._lock_quota(subject, now)

    def _lock_quota(self, subject: str, now: datetime) -> None:
        """One upsert: it creates the subject's row the first time and, either way, holds its lock to commit
        (an exclusive lock on MariaDB too, where a plain INSERT's duplicate check would take a shared one that
        two waiting senders then both try to upgrade). On SQLite the write lock already serialises writers."""
        dialect = self.session.get_bind().dialect.name
        row = {"subject": subject, "touched_at": now}
        if dialect in ("mysql", "mariadb"):
            statement = mysql_insert(sms_quotas).values(row)
            statement = statement.on_duplicate_key_update(touched_at=statement.inserted.touched_at)
        else:
            statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(sms_quotas).values(row)
            statement = statement.on_conflict_do_update(index_elements=[sms_quotas.c.subject],
                                                        set_={"touched_at": statement.excluded.touched_at})
        self.session.execute(statement)

    def get_for_update(self, challenge_id: int) -> SmsChallenge | None:
        return self.session.get(SmsChallenge, challenge_id, with_for_update=True, populate_existing=True)

    def spend_older(self, mobile: str, purpose: str, than_id: int) -> None:
        self.session.execute(
            update(SmsChallenge)
            .where(SmsChallenge.mobile == mobile, SmsChallenge.purpose == purpose, SmsChallenge.spent.is_(False),
                   SmsChallenge.id < than_id)
            .values(spent=True)
            .execution_options(synchronize_session=False)
        )

    def by_message_id_for_update(self, provider: str, message_id: str) -> SmsChallenge | None:
        query = (select(SmsChallenge).where(SmsChallenge.message_id == message_id, SmsChallenge.provider == provider)
                 .order_by(SmsChallenge.id).limit(1).with_for_update())
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def sending_since_before(self, before: datetime, limit: int) -> list[SmsChallenge]:
        query = (select(SmsChallenge).where(SmsChallenge.status == SmsStatus.SENDING, SmsChallenge.created_at < before)
                 .order_by(SmsChallenge.id).limit(limit).with_for_update())
        return list(self.session.scalars(query.execution_options(populate_existing=True)))


class SqlCaptchaChallenges:
    """Plain rows, no ORM identity: a captcha is written once and taken once."""

    def __init__(self, session: Session):
        self.session = session

    def put(self, challenge: CaptchaChallenge) -> None:
        table = captcha_challenges
        self.session.execute(delete(table).where(table.c.id == challenge.id))
        self.session.execute(
            insert(table).values(id=challenge.id, answer_digest=challenge.answer_digest, expires_at=challenge.expires_at)
        )

    def take(self, captcha_id: str) -> CaptchaChallenge | None:
        table = captcha_challenges
        # One statement: of concurrent takers, only the one whose DELETE removed the row gets it back.
        taken = delete(table).where(table.c.id == captcha_id).returning(table.c.answer_digest, table.c.expires_at)
        row = self.session.execute(taken).first()
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


def append_events(session: Session, events: list[AuditEvent]) -> None:
    if events:
        session.execute(insert(audit_events), [event_row(e) for e in events])


class SqlAuditLog:
    def __init__(self, session: Session):
        self.session = session

    def recent_for_user(self, user_id: int, types: tuple[str, ...], limit: int) -> list[AuditEvent]:
        c = audit_events.c
        query = (select(audit_events).where(c.user_id == user_id, c.type.in_(types))
                 .order_by(c.occurred_at.desc(), c.id.desc()).limit(limit))
        return [
            AuditEvent(EventType(row.type), row.occurred_at, ClientContext(row.ip, row.user_agent, row.request_id),
                       mobile=row.mobile, user_id=row.user_id, detail=row.detail or {})
            for row in self.session.execute(query)
        ]


class SqlEndedSessions:
    def __init__(self, session: Session):
        self.session = session

    def end(self, session_digest: str, until: datetime) -> None:
        if not self.is_ended(session_digest):  # a replayed logout of the same session changes nothing
            self.session.execute(insert(ended_sessions).values(session_digest=session_digest, until=until))

    def is_ended(self, session_digest: str) -> bool:
        query = select(ended_sessions.c.session_digest).where(ended_sessions.c.session_digest == session_digest)
        return self.session.execute(query).first() is not None
