"""`accounts admin ...` against a real database: create prints a working one-time link; list, reset, disable."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrate import upgrade
from domain.errors import SetupLinkInvalid
from entrypoints import cli, cli_admin

LINK = re.compile(r"^(https?://\S+)/admin/setup#([a-z0-9]{32})$", re.M)


@pytest.fixture
def runner(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "cli-secret-of-at-least-thirty-two-bytes")
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    cli_admin.admin_services.cache_clear()
    yield CliRunner()
    cli_admin.admin_services.cache_clear()


def invoke(runner, *args):
    result = runner.invoke(cli.cli, ["admin", *args])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_create_prints_a_link_the_setup_accepts_once(runner):
    code, output = invoke(runner, "create", "--username", "Wang", "--base-url", "https://accounts.example.com/")
    assert code == 0, output
    [(base, token)] = LINK.findall(output)
    assert base == "https://accounts.example.com"
    services = cli_admin.admin_services()
    assert services.start_enrolment(token).username == "wang"
    code, output = invoke(runner, "list")
    assert code == 0 and re.search(r"wang\s+admin\s+waiting for setup", output)


def test_roles_and_bad_input_are_refused_with_a_message(runner):
    assert invoke(runner, "create", "--username", "zhao", "--role", "auditor")[0] == 0
    code, output = invoke(runner, "create", "--username", "zhao")
    assert code == 1 and "该用户名已被使用" in output
    code, output = invoke(runner, "create", "--username", "x")
    assert code == 1 and "用户名须为" in output
    assert invoke(runner, "create", "--username", "li", "--role", "root")[0] == 2  # click refuses the choice
    assert re.search(r"zhao\s+auditor", invoke(runner, "list")[1])


def test_reset_gives_a_new_link_and_voids_the_old_one(runner):
    _, first = invoke(runner, "create", "--username", "wang")
    [(_, old)] = LINK.findall(first)
    code, output = invoke(runner, "reset", "wang")
    assert code == 0, output
    [(_, new)] = LINK.findall(output)
    services = cli_admin.admin_services()
    assert services.start_enrolment(new).username == "wang"
    with pytest.raises(SetupLinkInvalid):
        services.start_enrolment(old)


def test_disable_once_then_says_so(runner):
    invoke(runner, "create", "--username", "wang")
    assert invoke(runner, "disable", "wang")[1].endswith("wang: disabled\n")
    assert invoke(runner, "disable", "wang")[1].endswith("wang: was already disabled\n")
    assert re.search(r"wang\s+admin\s+disabled", invoke(runner, "list")[1])
    code, output = invoke(runner, "disable", "nobody")
    assert code == 1 and "没有这个操作员" in output
