"""The schema, on one MetaData with a naming convention so every constraint has a name migrations can use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    types,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

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
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin", "mysql_engine": "InnoDB"}


class UtcDateTime(types.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, stored as naive UTC on every database.

    SQLite and MySQL keep no zone, so one convention everywhere avoids a column meaning two things.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))  # MySQL drops fractions otherwise
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# Integer ids autoincrement on SQLite only as INTEGER PRIMARY KEY; elsewhere they are 64-bit.
Id = BigInteger().with_variant(Integer, "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("mobile", String(11), nullable=False, unique=True),
    Column("nickname", String(32), nullable=False),
    Column("password_hash", String(255)),  # NULL: made by SMS sign-in, no password set yet
    Column("created_at", UtcDateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("last_failure_at", UtcDateTime),
    Column("locked_until", UtcDateTime),
    Column("disabled_at", UtcDateTime),  # set by an operator in the console
    Index(None, "nickname"),  # the console's search by nickname prefix
    Column("deletion_due_at", UtcDateTime),  # 注销 requested: the row is deleted by the first purge after this
    Index(None, "deletion_due_at"),
    # An erased account's row is deleted; its id must never go to someone else (old audit events name it).
    # Sequences (PostgreSQL) and InnoDB's counter (MySQL 8, MariaDB 10.2.4+) never reuse ids; SQLite does
    # without AUTOINCREMENT.
    sqlite_autoincrement=True,
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
    Column("tries_by_client", JSON),  # {client address or IPv6 /64: tries}; at most sms_max_attempts keys
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
    # The relay's delivery order, given after commit (adapters/sqlalchemy/outbox.py): ids are handed out at
    # insert, so a later commit can show a lower id; positions count in seq, which only grows as rows appear.
    Column("seq", BigInteger),
    Index(None, "user_id", "occurred_at"),
    Index(None, "mobile", "occurred_at"),
    Index(None, "type", "occurred_at"),
    Index(None, "occurred_at"),
    Index(None, "seq", "id"),  # unsequenced rows (seq NULL) in id order, and sequenced ones in delivery order
    Index(None, "ip", "occurred_at"),  # the console's audit log filtered by IP
    **MYSQL_TABLE,
)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("public_id", String(64), nullable=False, unique=True),  # shown in the devices list; not a secret
    Column("token_digest", String(64), nullable=False, unique=True),  # keyed hash of the cookie's id, never the id
    # No foreign key: SQLite migrations rebuild `users` by dropping it, which would cascade or fail on this table.
    Column("user_id", BigInteger, nullable=False),
    Column("remember", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("ip", String(45)),
    Column("user_agent", String(512)),
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(32)),
    Index(None, "user_id", "ended_at"),
    Index(None, "expires_at"),
    Index(None, "ended_at"),
    **MYSQL_TABLE,
)

# --- the event log leaving the service: positions, webhook endpoints and deliveries, API keys ---

relay_positions = Table(
    "relay_positions",
    metadata,
    Column("sink", String(64), primary_key=True),  # "sequencer" (the last seq given), "nats"
    Column("position", BigInteger, nullable=False),  # the last seq this sink is done with
    Column("updated_at", UtcDateTime),
    **MYSQL_TABLE,
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", String(2048), nullable=False),
    Column("event_types", String(1024), nullable=False),  # comma-separated patterns; "" means every exported type
    Column("allow_private", Boolean, nullable=False),
    Column("full_mobile", Boolean, nullable=False),
    Column("secret_salt", String(64), nullable=False),  # the signing secret is derived from it and SECRET_KEY
    Column("position", BigInteger, nullable=False),  # the last seq fanned out into deliveries
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_success_at", UtcDateTime),
    Column("last_error", String(512)),
    Column("last_error_at", UtcDateTime),
    # The highest audit_events.id committed when the endpoint was added: none up to it is delivered to it (0: every
    # event), however late the relay sequences it.
    Column("after_event_id", BigInteger, nullable=False, server_default="0"),
    **MYSQL_TABLE,
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("endpoint_id", BigInteger, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("user_id", BigInteger),  # deliveries of one user go out in seq order; NULL: no order to keep
    Column("status", String(16), nullable=False),  # pending | failed (delivered rows are deleted)
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(512)),
    UniqueConstraint("endpoint_id", "event_id"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "endpoint_id", "user_id", "status", "seq"),
    **MYSQL_TABLE,
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("key_digest", String(64), nullable=False, unique=True),  # SHA-256 of the key; the key is shown once
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),  # the last recorded use: api_key.used is written once per interval
    **MYSQL_TABLE,
)

consents = Table(
    "consents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("document", String(16), nullable=False),
    Column("version", String(32), nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
    Index(None, "user_id"),
    **MYSQL_TABLE,
)

# --- the operator console (管理后台) ---

operators = Table(
    "operators",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_hash", String(255)),
    Column("totp_secret", String(255)),  # sealed (Fernet) by adapters/totp.py
    Column("enrolled_at", UtcDateTime),
    Column("last_totp_step", BigInteger, nullable=False, server_default="0"),
    Column("recovery_codes", JSON, nullable=False),  # keyed digests of the unused codes
    Column("setup_digest", String(64), unique=True),
    Column("setup_expires_at", UtcDateTime),
    Column("disabled_at", UtcDateTime),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("last_failure_at", UtcDateTime),
    Column("locked_until", UtcDateTime),
    **MYSQL_TABLE,
)

operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("ip", String(45)),
    Column("user_agent", String(512)),
    Column("ended_at", UtcDateTime),
    Index(None, "operator_id"),
    Index(None, "started_at"),
    **MYSQL_TABLE,
)

# The dashboard's roll-up: one row per Beijing day and metric, written once the day is over.
event_day_counts = Table(
    "event_day_counts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("metric", String(40), primary_key=True),
    Column("count", BigInteger, nullable=False),
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
