"""`accounts admin ...`: operators of the console (管理后台) are created, reset, disabled and listed here, never
in the console itself."""

from __future__ import annotations

import getpass
import socket
import sys
from functools import cache

import click

from adapters.logging import configure_logging
from domain.errors import DomainError
from domain.events import ClientContext
from entrypoints.bootstrap import AdminServices, bootstrap
from entrypoints.messages import message_for
from entrypoints.settings import load_settings


@cache
def admin_services() -> AdminServices:
    settings = load_settings()
    configure_logging(json=settings["LOG_JSON"], stream=sys.stderr)  # stdout is the command's answer
    return bootstrap(settings=settings).admin


def cli_client() -> ClientContext:
    """Events written from the command line say so, and who ran it where."""
    return ClientContext(ip=None, user_agent=f"accounts-cli ({getpass.getuser()}@{socket.gethostname()})"[:512])


def run(action, *args):
    try:
        return action(*args)
    except DomainError as error:
        raise click.ClickException(message_for(error)) from None


def print_link(link, base_url: str, what: str) -> None:
    url = f"{base_url.rstrip('/')}/admin/setup#{link.token}"
    click.echo(f"{what} {link.username}. One-time setup link (valid until {link.expires_at:%Y-%m-%d %H:%M} UTC):")
    click.echo(url)
    click.echo("Open it in a browser to choose a password and enrol an authenticator app. It works once.")


@click.group("admin")
def admin():
    """Operators of the console at /admin."""


@admin.command("create")
@click.option("--username", required=True, help="3-32 of a-z 0-9 . _ -, starting with a letter")
@click.option(
    "--role",
    type=click.Choice(["admin", "auditor"]),
    default="admin",
    show_default=True,
    help="auditor: read-only (and CSV export)",
)
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    envvar="PUBLIC_BASE_URL",
    help="where the service is reached, for the link",
)
def create(username: str, role: str, base_url: str):
    """Create an operator and print a one-time setup link."""
    print_link(run(admin_services().create_operator, username, role, cli_client()), base_url, "Created")


@admin.command("reset")
@click.argument("username")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, envvar="PUBLIC_BASE_URL")
def reset(username: str, base_url: str):
    """Void an operator's password, TOTP and recovery codes, end their sessions, print a new setup link."""
    print_link(run(admin_services().reset_operator, username, cli_client()), base_url, "Reset")


@admin.command("disable")
@click.argument("username")
def disable(username: str):
    """Disable an operator: their sessions end and they cannot sign in again."""
    changed = run(admin_services().disable_operator, username, cli_client())
    click.echo(f"{username}: disabled" if changed else f"{username}: was already disabled")


@admin.command("list")
def list_operators():
    """Every operator, with role and state."""
    for operator in admin_services().list_operators():
        state = "disabled" if operator.disabled_at else "enrolled" if operator.enrolled_at else "waiting for setup"
        click.echo(
            f"{operator.id:>4}  {operator.username:<32} {operator.role:<8} {state:<18} "
            f"created {operator.created_at:%Y-%m-%d %H:%M} UTC"
        )
