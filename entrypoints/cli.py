"""Operator commands, run without starting the web app (so they work on an un-migrated database):

    accounts db-upgrade | purge | audit | pseudonym      (or: python -m entrypoints.cli ...)

They read their settings the way the app does (entrypoints/settings.py: the environment, else the instance folder)
and get their use cases from the same composition root (entrypoints/bootstrap.py), RULES overrides included.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache

import click
from sqlalchemy import Engine

from adapters.sqlalchemy import maintenance, migrate
from adapters.sqlalchemy.engine import make_engine
from adapters.system import SystemClock
from domain.errors import InvalidMobile
from domain.events import ClientContext
from domain.model import normalize_mobile, pseudonymize_mobile
from entrypoints.bootstrap import Services, bootstrap, pseudonym_key
from entrypoints.messages import message_for
from entrypoints.settings import load_settings


@cache
def engine() -> Engine:
    """The operator's database, one engine per process (tests clear the cache between databases)."""
    return make_engine(load_settings()["DATABASE_URL"])


def services() -> Services:
    """Every use case as the app has them (same settings, same RULES), on this command's engine."""
    return bootstrap(engine=engine())


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value else None


@click.group()
def cli():
    """Operate the account service's database."""


@cli.command("db-upgrade")
def db_upgrade():
    """Upgrade the database to the schema this code needs (the release step)."""
    migrate.upgrade(engine())
    click.echo(f"database at revision {migrate.current_revision(engine())}")


@cli.command("purge")
@click.option(
    "--retention-days", type=int, help="Keep audit events this many days  [default: the audit_retention rule, 180]"
)
@click.option("--batch-size", default=1000, show_default=True)
def purge(retention_days: int | None, batch_size: int):
    """Settle SMS sends a crashed process left open; erase accounts whose 注销 cool-off has ended; delete expired
    captchas and SMS codes, old ended sessions and audit events past retention. Safe to re-run."""
    wired = services()
    click.echo(f"sms sends settled as unconfirmed: {wired.settle_sms_sends(batch_size)}")
    client = ClientContext(user_agent="accounts purge", request_id=uuid.uuid4().hex)
    erased = wired.erase_due_accounts(client, batch_size=batch_size)  # first: their old events may go below
    click.echo(f"accounts: {erased} erased")
    rules = wired.rules  # the app's numbers, overrides included
    retention = rules.audit_retention if retention_days is None else timedelta(days=retention_days)
    removed = maintenance.purge_expired(
        engine(),
        SystemClock().now(),
        audit_retention=retention,
        sms_cap_window=rules.sms_cap_window,
        session_retention=rules.ended_session_retention,
        batch_size=batch_size,
    )
    for table, count in removed.items():
        click.echo(f"{table}: {count} removed")


@cli.command("audit")
@click.option("--mobile")
@click.option("--type", "event_type", help="e.g. login.failed")
@click.option("--since", type=click.DateTime(), help="UTC, e.g. 2026-01-31T00:00:00")
@click.option("--until", type=click.DateTime(), help="UTC, exclusive")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table")
@click.option("--message-id", help="an SMS provider's message id (BizId, SerialNo): its sent and receipt events")
def audit(mobile, event_type, since, until, limit, as_json, message_id):
    """List audit events, newest first."""
    rows = maintenance.read_events(
        engine(),
        mobile=mobile,
        event_type=event_type,
        since=_utc(since),
        until=_utc(until),
        limit=limit,
        message_id=message_id,
    )
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, default=str, ensure_ascii=False))
        else:
            detail = " ".join(f"{k}={v}" for k, v in (row["detail"] or {}).items())
            click.echo(
                f"{row['occurred_at']:%Y-%m-%d %H:%M:%S}  {row['type']:<22} {row['mobile'] or '-':<11} "
                f"{row['ip'] or '-':<15} {row['request_id'] or '-'}  {detail}"
            )


@cli.command("pseudonym")
@click.argument("mobile")
def pseudonym(mobile: str):
    """Print what MOBILE became in the audit log of an erased account, to follow it with `audit --mobile`."""
    try:
        mobile = normalize_mobile(mobile)
    except InvalidMobile as error:
        raise click.BadParameter(message_for(error)) from None
    click.echo(pseudonymize_mobile(pseudonym_key(load_settings()["SECRET_KEY"]), mobile))


from entrypoints import cli_events  # noqa: E402 - the event log's commands

cli.add_command(cli_events.relay)
cli.add_command(cli_events.webhooks)
cli.add_command(cli_events.api_keys)

from entrypoints.cli_admin import admin  # noqa: E402 - the operator console's commands

cli.add_command(admin)


if __name__ == "__main__":
    cli()
