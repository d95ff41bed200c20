"""The domain says what happened; the words are the entrypoints' (entrypoints/messages.py). Comments and
docstrings may name UI terms (记住我), string literals may not."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import domain

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def cjk_literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skip = docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and CJK.search(node.value)
    ]


def test_no_string_literal_in_the_domain_holds_chinese():
    root = Path(domain.__file__).parent
    found = [
        f"{path.relative_to(root.parent)}:{line}: {text!r}"
        for path in sorted(root.rglob("*.py"))
        for line, text in cjk_literals(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "UI text belongs in entrypoints/messages.py:\n" + "\n".join(found)


def test_the_check_sees_literals_and_f_strings_but_not_docstrings_or_comments():
    source = '''
"""模块 docstring 记住我"""
class A:
    """类 记住我"""
    def f(self, n):
        """函数 记住我"""  # 注释
        x = "锁定"
        return f"请 {n} 分钟后再试"
'''
    assert [text for _, text in cjk_literals(source)] == ["锁定", "请 ", " 分钟后再试"]
