"""Operator commands for the event log's consumers:

    accounts relay [--once]
    accounts webhooks add URL [--types user.registered,login.failed] [--allow-private] [--full-mobile]
    accounts webhooks list | remove ID | status | replay [ID]
    accounts api-keys create --name NAME | list | revoke ID

Each change is an audit event with the operating system user as its client.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
import structlog

from adapters.logging import configure_logging
from domain.errors import DomainError
from domain.events import ClientContext
from entrypoints.bootstrap import Integrations, bootstrap
from entrypoints.messages import message_for
from entrypoints.settings import load_settings


@contextmanager
def integrations() -> Iterator[Integrations]:
    settings = load_settings()
    # The audit lines go to stderr: stdout carries only the answer (one line for `webhooks add`).
    configure_logging(json=settings["LOG_JSON"])
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    services = bootstrap(settings=settings)
    try:
        yield services.integrations
    except DomainError as error:
        raise click.ClickException(f"{error.slug}: {message_for(error)}") from None
    finally:
        if services.engine is not None:
            services.engine.dispose()


def operator() -> ClientContext:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return ClientContext(user_agent=f"accounts-cli ({who})")


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "-"


@click.command("relay")
@click.option("--once", is_flag=True, help="Deliver what is pending now, then exit (for tests and cron).")
def relay(once: bool):
    """Hand committed audit events to the sinks (webhooks; NATS JetStream when NATS_URL is set)."""
    from entrypoints.relay import main

    settings = load_settings()
    configure_logging(json=settings["LOG_JSON"])
    sys.exit(main(bootstrap(settings=settings).relay, once))


@click.group("webhooks")
def webhooks():
    """Webhook endpoints: signed (Standard Webhooks) POSTs of the exported events."""


@webhooks.command("add")
@click.argument("url")
@click.option("--types", default="", help="Comma-separated event types or patterns (user.*); default: all exported.")
@click.option("--allow-private", is_flag=True, help="Allow private, loopback and link-local targets (and http://).")
@click.option("--full-mobile", is_flag=True, help="Send full mobile numbers (masked otherwise).")
@click.option(
    "--from-beginning",
    is_flag=True,
    help="Also send every event already in the log (default: only events committed after the endpoint is added).",
)
def webhooks_add(url: str, types: str, allow_private: bool, full_mobile: bool, from_beginning: bool):
    """Add an endpoint; prints its id and signing secret (shown once)."""
    from domain.use_cases.webhooks import WebhookRegistration

    with integrations() as i:
        added = i.add_webhook(
            WebhookRegistration(url, types, allow_private, operator(), full_mobile, from_beginning=from_beginning)
        )
    click.echo(f"id={added.id} secret={added.secret}")


@webhooks.command("list")
def webhooks_list():
    """Every endpoint and what it receives."""
    with integrations() as i:
        for status in i.webhook_statuses():
            e = status.endpoint
            flags = [name for name, on in (("allow-private", e.allow_private), ("full-mobile", e.full_mobile)) if on]
            click.echo(
                f"{e.id}  {e.url}  types={','.join(e.event_types) or '*'}  {' '.join(flags)}".rstrip()
                + f"  since {_when(e.created_at)}"
            )


@webhooks.command("remove")
@click.argument("endpoint_id", type=int)
def webhooks_remove(endpoint_id: int):
    """Remove an endpoint and its queued deliveries."""
    with integrations() as i:
        i.remove_webhook(endpoint_id, operator())
    click.echo(f"removed {endpoint_id}")


@webhooks.command("status")
def webhooks_status():
    """Lag and last error per endpoint."""
    with integrations() as i:
        for s in i.webhook_statuses():
            e = s.endpoint
            click.echo(
                f"{e.id}  {e.url}  pending={s.pending} failed={s.failed} behind={s.behind} "
                f"oldest_pending={_when(s.oldest_pending_at)} last_success={_when(e.last_success_at)} "
                f"last_error={_when(e.last_error_at)} {e.last_error or ''}".rstrip()
            )


@webhooks.command("replay")
@click.argument("endpoint_id", type=int, required=False)
def webhooks_replay(endpoint_id: int | None):
    """Send failed deliveries again (of one endpoint, or all), with a fresh 24-hour retry window."""
    with integrations() as i:
        count = i.replay_webhooks(endpoint_id, operator())
    click.echo(f"{count} deliveries queued again")


@click.group("api-keys")
def api_keys():
    """API keys for /api/internal/* (Authorization: Bearer ...)."""


@api_keys.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. nginx-auth or billing.")
def api_keys_create(name: str):
    """Make a key; it is printed once and stored only as a digest."""
    with integrations() as i:
        new = i.create_api_key(name, operator())
    click.echo(f"id={new.id} key={new.key}")


@api_keys.command("list")
def api_keys_list():
    with integrations() as i:
        for key in i.list_api_keys():
            state = f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"
            click.echo(f"{key.id}  {key.name}  created {_when(key.created_at)}  {state}")


@api_keys.command("revoke")
@click.argument("key_id", type=int)
def api_keys_revoke(key_id: int):
    with integrations() as i:
        i.revoke_api_key(key_id, operator())
    click.echo(f"revoked {key_id}")
