"""Every refusal the code can raise has words in the catalogue, and the words quote the refusal's facts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import adapters
import domain
import entrypoints
from domain import errors
from entrypoints.messages import ZH_CN, message_for, say


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def raised_with_reasons():
    """(class name, reason, fact names) of every `errors.X("reason", ..., fact=...)` or `X("reason", ...)` (a
    refusal imported by name) in the code."""
    names = {cls.__name__ for cls in subclasses(errors.DomainError)}
    for package in (domain, adapters, entrypoints):
        for path in Path(package.__file__).parent.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                    name = node.func.attr if node.func.value.id == "errors" else None
                else:
                    name = node.func.id if isinstance(node.func, ast.Name) else None
                if name in names:
                    reason = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                    facts = {k.arg for k in node.keywords} - {"field", "retry_after", None}
                    yield name, reason, facts


def test_every_refusal_class_has_words():
    missing = [cls.__name__ for cls in subclasses(errors.DomainError) if cls.slug not in ZH_CN]
    assert missing == []


def test_every_reason_raised_has_words_that_its_facts_fill():
    seen = 0
    for name, reason, facts in raised_with_reasons():
        error = getattr(errors, name)(reason, **{fact: 7 for fact in facts})
        assert error.key in ZH_CN, f"errors.{name}({reason!r}) has no words in entrypoints/messages.py"
        assert message_for(error)  # every placeholder is one of its facts
        seen += 1
    assert seen > 20  # the scan found the raise sites


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (errors.AccountLocked.for_seconds(900), "密码错误次数过多，账号已锁定，请 15 分钟后再试"),
        (errors.AccountLocked.for_seconds(61), "密码错误次数过多，账号已锁定，请 2 分钟后再试"),
        (errors.SmsCooldown(seconds=42, retry_after=42), "发送太频繁，请 42 秒后再试"),
        (errors.BadCredentials(), "手机号或密码错误。多次输错后密码登录将暂停一段时间，您可改用验证码登录或找回密码"),
        (errors.BadCredentials("operator"), "用户名、密码或动态验证码错误"),
        (errors.InvalidInput("limit_out_of_range", field="limit", max=1000), "limit 须在 1-1000 之间"),
        (errors.InvalidInput(), "请求参数有误"),
        (errors.InvalidInput("no_words_of_its_own"), "请求参数有误"),  # falls back to the slug's words
        (errors.AccountDisabled(), "该账号已被停用，如有疑问请联系客服"),
    ],
)
def test_refusals_read_as_before(error, words):
    assert message_for(error) == words


def test_web_layer_words():
    assert say("http.404") == "页面不存在" and say("csrf_invalid") == "页面已过期，请刷新后重试"
