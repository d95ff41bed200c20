"""Every word the service shows a person lives in entrypoints/messages.py: the JSON endpoints and the templates look
words up by key, the pages' scripts get theirs from the page (App.say), and no other module or script writes a
sentence of its own. Comments and docstrings may name UI terms (记住我), as in the domain; string literals may not."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import entrypoints
from entrypoints.messages import (
    EVENT_LABELS,
    SIGN_IN_REFUSALS,
    ZH_CN,
    page_words,
    say,
)
from entrypoints.web.admin import labels
from entrypoints.web.pages import DURATION_UNITS
from tests.unit.test_domain_has_no_ui_text import CJK, cjk_literals

ROOT = Path(entrypoints.__file__).parent
WEB = ROOT / "web"
CATALOGUE = ROOT / "messages.py"
STATIC = WEB / "static"
# Third-party code, kept as its authors ship it (see each folder's SOURCE.txt or LICENSE).
VENDORED = {"layui/layui.js", "echarts/echarts.common.min.js", "apidocs/swagger-ui-bundle.js"}
# The defaults an operator overrides (SITE_NAME, HEADER_LINKS): the brand and the header's links.
SETTINGS_DEFAULTS = {"账号中心", "首页", "用户协议"}
# Literals that are protocol, not words: Aliyun's receipt push expects exactly this reply.
PROTOCOL = {("sms_receipts.py", "成功")}


def python_modules() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py") if path != CATALOGUE)


def scripts() -> list[Path]:
    return sorted(path for path in STATIC.rglob("*.js") if path.relative_to(STATIC).as_posix() not in VENDORED)


def templates() -> list[Path]:
    return sorted((WEB / "templates").rglob("*.html"))


def allowed(path: Path, text: str) -> bool:
    if (path.name, text) in PROTOCOL:
        return True
    runs = set(re.findall(f"(?:{CJK.pattern})+", text))
    return path.name == "settings.py" and runs <= SETTINGS_DEFAULTS


def keys_said_in_python(source: str) -> set[str]:
    """The keys passed to say(): a literal, or either branch of a conditional (`say("a" if x else "b")`)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say" and node.args:
            argument = node.args[0]
            branches = [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
            found |= {b.value for b in branches if isinstance(b, ast.Constant) and isinstance(b.value, str)}
    return found


def keys_said_in_templates(text: str) -> set[str]:
    """say('key') or say('a' if x == 'y' else 'b') in a template; the compared values are not keys."""
    found = set()
    for call in re.findall(r"\bsay\(([^)]*)\)", text):
        found |= set(re.findall(r"(?<!== )'([\w.]+)'", call))
    return found


def key_literals_in_scripts(text: str) -> set[str]:
    """Every catalogue key a script names: the first argument of say(), and the `page.`/`console.` literals it
    picks between before saying them. A literal ending in a dot is a prefix the script completes
    (`'page.strength.' + level`)."""
    return set(re.findall(r"\bsay\(\s*'([\w.]+)'", text)) | set(re.findall(r"'((?:page|console)\.[\w.]*)'", text))


# --- one home for every word -------------------------------------------------------------------------------


def test_no_module_but_the_catalogue_writes_words():
    found = [
        f"{path.relative_to(ROOT.parent)}:{line}: {text!r}"
        for path in python_modules()
        for line, text in cjk_literals(path.read_text(encoding="utf-8"))
        if not allowed(path, text)
    ]
    assert found == [], "words belong in entrypoints/messages.py:\n" + "\n".join(found)


def test_no_script_writes_words_not_even_in_a_comment():
    found = [
        f"{path.relative_to(STATIC)}:{number}: {line.strip()}"
        for path in scripts()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CJK.search(line)
    ]
    assert found == [], "scripts say App.say(key); the words are in entrypoints/messages.py:\n" + "\n".join(found)


def test_the_checks_see_what_they_guard():
    assert len(python_modules()) > 20 and any(p.name == "api.py" for p in python_modules())
    assert {p.relative_to(STATIC).as_posix() for p in scripts()} >= {
        "js/app/core.js",
        "js/app/forms.js",
        "admin/console.js",
    }
    assert keys_said_in_python('say("a" if x else "b.c"); say("d", n=1); other("e")') == {"a", "b.c", "d"}
    assert keys_said_in_templates("{{ say('a.b' if role == 'admin' else 'c') }}") == {"a.b", "c"}
    assert key_literals_in_scripts("App.say('registered'); var k = x ? 'page.a' : 'console.b'; 'plain'") == {
        "registered",
        "page.a",
        "console.b",
    }


# --- every key used is in the catalogue --------------------------------------------------------------------


@pytest.mark.parametrize("module", ["web/api.py", "web/admin/api.py", "web/pages.py", "web/data_copy.py"])
def test_every_key_a_module_says_is_in_the_catalogue(module):
    said = keys_said_in_python((ROOT / module).read_text(encoding="utf-8"))
    assert said, f"{module} says nothing: the check no longer sees its calls"
    assert sorted(said - ZH_CN.keys()) == []


def test_every_answer_of_the_json_endpoints_comes_from_the_catalogue():
    """ok() is given words looked up by key, never a literal."""
    for module in ("web/api.py", "web/admin/api.py"):
        for node in ast.walk(ast.parse((ROOT / module).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ok":
                first = node.args[0]
                assert isinstance(first, ast.Call) and first.func.id == "say", f"{module}:{node.lineno}"


def test_every_key_a_template_says_is_in_the_catalogue():
    said = set().union(*(keys_said_in_templates(path.read_text(encoding="utf-8")) for path in templates()))
    assert said and sorted(said - ZH_CN.keys()) == []


def test_every_key_a_script_says_is_on_the_page_and_every_word_on_the_page_is_said():
    words = page_words()
    named = set().union(*(key_literals_in_scripts(path.read_text(encoding="utf-8")) for path in scripts()))
    prefixes = {key for key in named if key.endswith(".")}
    assert sorted(named - prefixes - words.keys()) == []
    unused = [key for key in words if key not in named and not any(key.startswith(p) for p in prefixes)]
    assert unused == [], "words no script says: remove them, or say them"


def test_every_page_renders_the_words_its_scripts_read():
    for base in ("base.html", "admin/base.html"):
        text = (WEB / "templates" / base).read_text(encoding="utf-8")
        assert '<script type="application/json" id="page-words">{{ page_words|tojson }}</script>' in text, base
        assert "asset('js/app/core.js')" in text, base


def test_the_console_loads_the_user_pages_core_and_keeps_no_copy_of_it():
    console = (STATIC / "admin" / "console.js").read_text(encoding="utf-8")
    assert "window.App" in console
    for copied in ("patchLayOptions", "csrfToken", "window.fetch", "&amp;"):
        assert copied not in console, copied


def test_the_rendered_words_fill_their_placeholders_as_the_server_does():
    assert say("deletion_requested", when="2026-01-01 08:00").startswith("注销申请已提交")
    for key, words in page_words().items():
        assert words == ZH_CN[key]
    assert page_words()["page.resend_in_seconds"] == "{n} 秒后重发"


# --- the labels ---------------------------------------------------------------------------------------------


def test_the_console_and_the_profile_read_their_labels_from_the_catalogue():
    assert labels.EVENT_LABELS is EVENT_LABELS
    assert "reasons = {" not in (WEB / "templates" / "profile.html").read_text(encoding="utf-8")
    assert "sign_in_refusals.get(" in (WEB / "templates" / "profile.html").read_text(encoding="utf-8")
    assert set(SIGN_IN_REFUSALS) <= set(labels.REASON_LABELS)


def test_every_duration_unit_has_words():
    assert all(key in ZH_CN for _size, key in DURATION_UNITS)


def test_one_term_and_one_form_of_address_in_the_catalogue():
    """账号 (never 帐号 or 账户) and 您 (never 你), now that the scripts' sentences live here."""
    texts = [*ZH_CN.values(), *EVENT_LABELS.values(), *labels.METRIC_LABELS.values(), *labels.REASON_LABELS.values()]
    assert [text for text in texts if re.search(r"帐号|账户|你(?!们)", text)] == []
