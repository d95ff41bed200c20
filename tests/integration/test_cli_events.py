"""`accounts webhooks ...`, `accounts api-keys ...` and `accounts relay`, as an operator runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from entrypoints import cli
from tests.integration.relay_helpers import commit_events, migrated
from tests.integration.webhook_receiver import Receiver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def operator_env(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "2ff2738f281f080b0e3d904be610db2e28276d17")
    engine = migrated(database_url)
    yield engine
    engine.dispose()


LOG_LINE = re.compile(r"\{|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


class Answer:
    def __init__(self, result):
        self.exit_code, self.errors = result.exit_code, result.stderr
        # In a process of its own the audit lines go to stderr (test_add_prints_one_line_on_stdout); in this
        # one, structlog may have cached a logger bound to stdout by an earlier test: leave its lines out.
        self.output = "".join(line for line in result.stdout.splitlines(keepends=True) if not LOG_LINE.match(line))


def accounts(*args) -> Answer:
    return Answer(CliRunner().invoke(cli.cli, list(args)))


def test_add_prints_one_line_on_stdout(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrated(url).dispose()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "2ff2738f281f080b0e3d904be610db2e28276d17"}
    added = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "webhooks", "add", "https://127.0.0.1/hook", "--allow-private"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    assert re.fullmatch(r"id=1 secret=whsec_[A-Za-z0-9+/]{43}=\n", added.stdout), added.stdout
    assert "webhook.added" in added.stderr and "whsec_" not in added.stderr  # audited, secret not logged


def test_a_new_user_adds_a_webhook_and_sees_a_signed_event_arrive(operator_env):
    receiver = Receiver()
    added = accounts("webhooks", "add", receiver.url, "--types", "user.registered,login.failed", "--allow-private")
    assert added.exit_code == 0, added.output
    match = re.fullmatch(r"id=(\d+) secret=(whsec_[A-Za-z0-9+/=]+)\n", added.output)
    assert match, added.output
    receiver.secret = match.group(2)
    [event_id] = commit_events(operator_env, [("user.registered", 1)])
    commit_events(operator_env, [("login.succeeded", 1)])  # not among the endpoint's types
    relayed = accounts("relay", "--once")
    assert relayed.exit_code == 0, relayed.output
    assert receiver.ids() == [event_id] and receiver.bad_signatures == 0
    listed = accounts("webhooks", "list").output
    assert f"{match.group(1)}  {receiver.url}  types=user.registered,login.failed  allow-private" in listed
    status = accounts("webhooks", "status").output
    assert "pending=0 failed=0 behind=0" in status and "last_success=20" in status
    receiver.close()

    commit_events(operator_env, [("user.registered", 2)])
    assert accounts("relay", "--once").exit_code == 0  # the receiver is gone: the delivery waits to be retried
    status = accounts("webhooks", "status").output
    assert "pending=1" in status and "connection failed" in status
    assert accounts("webhooks", "replay").output == "0 deliveries queued again\n"
    assert accounts("webhooks", "remove", match.group(1)).output == f"removed {match.group(1)}\n"
    assert accounts("webhooks", "list").output == ""
    gone = accounts("webhooks", "remove", match.group(1))
    assert gone.exit_code == 1 and "webhook_not_found" in gone.errors


def test_a_webhook_added_now_gets_only_events_committed_after_it_unless_from_the_beginning(operator_env):
    earlier = commit_events(operator_env, [("user.registered", 1)])
    assert accounts("relay", "--once").exit_code == 0  # sequenced, with no endpoint to fan out to
    earlier += commit_events(operator_env, [("login.succeeded", 1), ("login.failed", 2)])  # not yet relayed
    now, everything = Receiver(), Receiver()

    def add(receiver, *flags):
        added = accounts("webhooks", "add", receiver.url, "--allow-private", *flags)
        assert added.exit_code == 0, added.output
        receiver.secret = re.fullmatch(r"id=\d+ secret=(whsec_\S+)\n", added.output).group(1)

    add(now)
    later = commit_events(operator_env, [("user.registered", 3)])
    assert accounts("relay", "--once").exit_code == 0
    assert now.ids() == later  # the relay sequenced the earlier events after the add: still not this endpoint's
    add(everything, "--from-beginning")
    assert accounts("relay", "--once").exit_code == 0
    assert sorted(everything.ids()) == earlier + later and now.ids() == later  # sent concurrently: any order
    assert now.bad_signatures == everything.bad_signatures == 0
    now.close()
    everything.close()


@pytest.mark.parametrize(
    "url, slug",
    [
        ("http://127.0.0.1:9/hook", "webhook_url_invalid"),  # plain http only inside the network
        ("https://127.0.0.1:9/hook", "webhook_target_refused"),
        ("https://localhost:9/hook", "webhook_target_refused"),
        ("https://169.254.169.254/latest/meta-data", "webhook_target_refused"),
        ("https://[::1]/hook", "webhook_target_refused"),
        ("https://10.0.0.1/hook", "webhook_target_refused"),
        ("https://[::127.0.0.1]/hook", "webhook_target_refused"),  # IPv6 forms that embed a private IPv4
        ("https://[64:ff9b::a9fe:a9fe]/hook", "webhook_target_refused"),
        ("https://[2002:7f00:1::]/hook", "webhook_target_refused"),
    ],
)
def test_private_targets_are_refused_without_allow_private(tmp_path, monkeypatch, url, slug):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    migrated(f"sqlite:///{tmp_path / 'cli.sqlite3'}").dispose()
    refused = accounts("webhooks", "add", url)
    assert refused.exit_code == 1 and slug in refused.errors, refused.errors
    assert accounts("webhooks", "list").output == ""


def test_api_keys_are_shown_once_listed_and_revoked(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    migrated(f"sqlite:///{tmp_path / 'cli.sqlite3'}").dispose()
    created = accounts("api-keys", "create", "--name", "nginx-auth")
    match = re.fullmatch(r"id=(\d+) key=(ak_[A-Za-z0-9]{43})\n", created.output)
    assert match, created.output
    listed = accounts("api-keys", "list").output
    assert "nginx-auth" in listed and "active" in listed and match.group(2) not in listed
    assert accounts("api-keys", "revoke", match.group(1)).exit_code == 0
    assert "revoked" in accounts("api-keys", "list").output
    assert accounts("api-keys", "revoke", "99").exit_code == 1


@pytest.mark.slow
def test_a_relay_killed_mid_batch_loses_nothing(operator_env, database_url):
    receiver = Receiver(delay=0.01)
    added = accounts("webhooks", "add", receiver.url, "--allow-private")
    assert added.exit_code == 0, added.output
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "2ff2738f281f080b0e3d904be610db2e28276d17",
        "LOG_JSON": "1",
        "WEBHOOK_CONCURRENCY": "2",
        "RELAY_BATCH_SIZE": "50",
    }
    ids = commit_events(operator_env, [("login.succeeded", n % 10) for n in range(300)])
    relay = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "relay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(receiver.ids()) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(relay.pid, signal.SIGKILL)  # mid-batch: deliveries in flight, none of this batch settled
        relay.wait(10)
        assert 60 <= len(set(receiver.ids())) < len(ids)
        again = subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", "relay", "--once"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        if relay.poll() is None:
            os.killpg(relay.pid, signal.SIGKILL)
    from tests.integration.test_relay import assert_per_user_order

    assert_per_user_order(receiver.received, ids)
    receiver.close()
