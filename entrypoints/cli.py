"""Operator commands, run without starting the web app (so they work on an un-migrated database):

    accounts db-upgrade | purge | audit      (or: python -m entrypoints.cli ...)

They read DATABASE_URL and SECRET_KEY the way the app does (environment, else the instance folder).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import cache

import click
from flask import Flask

from adapters.sqlalchemy import maintenance, migrate
from adapters.sqlalchemy.engine import make_engine
from adapters.system import SystemClock
from domain.rules import Rules
from entrypoints.bootstrap import bootstrap
from entrypoints.web.settings import load_settings


@cache
def engine():
    app = Flask("entrypoints.web", instance_relative_config=True)  # the same instance folder as the app's
    load_settings(app, None)
    return make_engine(app.config["DATABASE_URL"])


def settle_sms_sends():
    """The use case, wired by the composition root on the operator's database (no SMS provider is needed)."""
    app = Flask("entrypoints.web", instance_relative_config=True)
    load_settings(app, None)
    return bootstrap(database_url=app.config["DATABASE_URL"], secret_key=app.config["SECRET_KEY"]).settle_sms_sends


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value else None


@click.group()
def cli():
    """Operate the account service's database."""


@cli.command("db-upgrade")
def db_upgrade():
    """Upgrade the database to the schema this code needs (the release step)."""
    migrate.upgrade(engine())
    click.echo(f"database at revision {migrate.current_revision(engine())}")


@cli.command("purge")
@click.option("--retention-days", default=180, show_default=True, help="Keep audit events this many days.")
@click.option("--batch-size", default=1000, show_default=True)
def purge(retention_days: int, batch_size: int):
    """Settle SMS sends a crashed process left open, then delete expired captchas and SMS codes, and audit
    events past retention. Safe to re-run."""
    click.echo(f"sms sends settled as unconfirmed: {settle_sms_sends()(batch_size)}")
    removed = maintenance.purge_expired(
        engine(), SystemClock().now(), audit_retention=timedelta(days=retention_days),
        sms_cap_window=Rules.sms_cap_window, batch_size=batch_size)
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
    rows = maintenance.read_events(engine(), mobile=mobile, event_type=event_type, since=_utc(since),
                                   until=_utc(until), limit=limit, message_id=message_id)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, default=str, ensure_ascii=False))
        else:
            detail = " ".join(f"{k}={v}" for k, v in (row["detail"] or {}).items())
            click.echo(f"{row['occurred_at']:%Y-%m-%d %H:%M:%S}  {row['type']:<22} {row['mobile'] or '-':<11} "
                       f"{row['ip'] or '-':<15} {row['request_id'] or '-'}  {detail}")


if __name__ == "__main__":
    cli()
