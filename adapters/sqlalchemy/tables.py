"""The schema, on one MetaData with a naming convention so every constraint has a name migrations can use."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    types,
)
from sqlalchemy.dialects import mysql

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# utf8mb4 so that nicknames may hold any Chinese character or emoji; ignored by other databases.
MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin", "mysql_engine": "InnoDB"}


class UtcDateTime(types.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, stored as naive UTC on every database.

    SQLite and MySQL keep no zone, so one convention everywhere avoids a column meaning two things.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))  # MySQL drops fractions otherwise
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


# Integer ids autoincrement on SQLite only as INTEGER PRIMARY KEY; elsewhere they are 64-bit.
Id = BigInteger().with_variant(Integer, "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("mobile", String(11), nullable=False, unique=True),
    Column("nickname", String(32), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("last_failure_at", UtcDateTime),
    Column("locked_until", UtcDateTime),
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    **MYSQL_TABLE,
)

sms_challenges = Table(
    "sms_challenges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("mobile", String(11), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("code_digest", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("client_ip", String(45)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("spent", Boolean, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, server_default="sent"),  # domain.model.SmsStatus
    Column("provider", String(16)),
    Column("message_id", String(64)),
    Column("delivery", String(16)),
    Index(None, "mobile", "created_at"),
    Index(None, "client_ip", "created_at"),
    Index(None, "expires_at"),
    Index(None, "message_id"),
    **MYSQL_TABLE,
)

captcha_challenges = Table(
    "captcha_challenges",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("answer_digest", String(64), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
    **MYSQL_TABLE,
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("type", String(40), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("mobile", String(11)),
    Column("user_id", BigInteger),  # no foreign key: the log outlives what it describes
    Column("ip", String(45)),
    Column("user_agent", String(512)),
    Column("request_id", String(64)),
    Column("detail", JSON, nullable=False),
    Index(None, "user_id", "occurred_at"),
    Index(None, "mobile", "occurred_at"),
    Index(None, "type", "occurred_at"),
    Index(None, "occurred_at"),
    **MYSQL_TABLE,
)

ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("session_digest", String(64), primary_key=True),
    Column("until", UtcDateTime, nullable=False),  # purged after: the session's cookie has expired by then
    Index(None, "until"),
    **MYSQL_TABLE,
)

# One row per mobile ("mobile:138...") and per client address ("ip:203.0.113.7"), updated (so locked) by a send's
# first transaction: sends to one mobile, and sends from one address, check their limits one at a time.
sms_quotas = Table(
    "sms_quotas",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("touched_at", UtcDateTime, nullable=False),  # purged once older than the caps' window
    Index(None, "touched_at"),
    **MYSQL_TABLE,
)
