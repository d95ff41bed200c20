"""Use cases are built in one place, entrypoints/bootstrap.py: the app, the commands, the relay and these tests all
get them from there, so that none runs on other rules or adapters than the others."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import pkgutil
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import domain.use_cases
from entrypoints.bootstrap import bootstrap
from tests.builders import SECRET_KEY
from tests.fakes import FakeCaptchaRenderer, FakeHasher, FakeSmsSender, FakeStore, FakeTotp, FakeUnitOfWork
from tests.fakes_integrations import FakeApiKeys, FakeEventFeed, FakeIntegrationsUnitOfWork, FakeWebhookEndpoints

ROOT = Path(__file__).resolve().parents[2]
COMPOSITION_ROOT = ROOT / "entrypoints" / "bootstrap.py"
NOT_OURS = {"mutants", "instance", "build", "vendor", "node_modules", "__pycache__", "venv"}


def use_case_classes() -> set[str]:
    """The classes of domain/use_cases/ that are called to do their work (requests and answers are data)."""
    names = set()
    for module in pkgutil.walk_packages(domain.use_cases.__path__, "domain.use_cases."):
        for name, value in vars(importlib.import_module(module.name)).items():
            if inspect.isclass(value) and value.__module__ == module.name and "__call__" in vars(value):
                names.add(name)
    return names


def python_files() -> list[Path]:
    """Our Python files: hidden folders (a virtualenv among them) and generated ones are not walked into."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name not in NOT_OURS]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return found


def constructions(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if called in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {called}(...)")
    return found


def test_the_use_case_scan_sees_the_use_cases():
    names = use_case_classes()
    assert {"RequestSmsCode", "Login", "SettleInterruptedSends", "CreateApiKey", "OperatorSignIn"} <= names
    assert "SmsCodeRequest" not in names  # a request is data, built wherever the input arrives
    assert constructions(COMPOSITION_ROOT, names)


def test_no_module_but_the_composition_root_builds_a_use_case():
    names = use_case_classes()
    elsewhere = [found for path in python_files() if path != COMPOSITION_ROOT for found in constructions(path, names)]
    assert elsewhere == [], "use cases are built only in entrypoints/bootstrap.py: call bootstrap() instead"


def test_every_use_case_runs_by_the_rules_the_settings_give():
    """RULES overrides reach every use case alike: none is left on the defaults."""
    store = FakeStore()
    services = bootstrap(
        settings={"SECRET_KEY": SECRET_KEY, "RULES": {"sms_code_ttl": 600}},
        uow=lambda: FakeUnitOfWork(store),
        integrations_uow=lambda: FakeIntegrationsUnitOfWork(store, FakeApiKeys(), FakeWebhookEndpoints()),
        event_feed=FakeEventFeed(),
        sms_sender=FakeSmsSender(),
        captcha_renderer=FakeCaptchaRenderer(),
        hasher=FakeHasher(),
        totp=FakeTotp(),
    )
    assert services.rules.sms_code_ttl == timedelta(minutes=10)
    groups = [services, services.admin, services.integrations]
    use_cases = [getattr(group, field.name) for group in groups for field in fields(group)]
    ruled = [use_case for use_case in use_cases if hasattr(use_case, "rules")]
    assert services.settle_sms_sends in ruled and services.admin.sign_in in ruled
    assert all(use_case.rules is services.rules for use_case in ruled)
