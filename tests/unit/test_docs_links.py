"""Every relative link in README.md, docs/ and the benchmark results leads somewhere: the file exists and, for `file.md#anchor`, the anchor
is one of that file's headings (GitHub's slugs). Docs that moved or were renamed break here, not for a reader."""

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "tests" / "benchmarks" / "results").glob("*.md")]
)

FENCE = re.compile(r"^\s*(?:(?:[-*+]|\d+[.)])\s+)?(```|~~~)")  # also a fence opening a list item
INLINE_CODE = re.compile(r"(`+).*?\1")
# [text](target) or [text](target "title"); images too. Reference-style definitions: [label]: target
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str):
    """The lines outside fenced code blocks, with their inline code removed."""
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield INLINE_CODE.sub("", line)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup and punctuation dropped, lower case, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").lower()
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in "-_ " or category[0] in "LN" or category == "Mn":
            kept.append("-" if char == " " else char)
    return "".join(kept)


def anchors(document: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in document.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(document: Path):
    for line in prose_lines(document.read_text(encoding="utf-8")):
        for match in INLINE_LINK.finditer(line):
            yield match.group(1)
        definition = REFERENCE_DEFINITION.match(line)
        if definition:
            yield definition.group(1)


def relative_links():
    for document in DOCUMENTS:
        for target in links(document):
            if not EXTERNAL.match(target):
                yield pytest.param(document, target, id=f"{document.relative_to(ROOT)} -> {target}")


def test_the_docs_folder_is_there_with_the_readme():
    assert (ROOT / "README.md").is_file()
    assert len(DOCUMENTS) > 1


@pytest.mark.parametrize(("document", "target"), list(relative_links()))
def test_every_relative_link_resolves(document: Path, target: str):
    path, _, anchor = target.partition("#")
    destination = (document.parent / path).resolve() if path else document
    assert destination.exists(), f"{document.relative_to(ROOT)}: {target} names no file"
    if anchor:
        assert destination.suffix == ".md", (
            f"{document.relative_to(ROOT)}: {target} has an anchor in a non-Markdown file"
        )
        assert anchor in anchors(destination), (
            f"{document.relative_to(ROOT)}: {target}: no heading in {destination.relative_to(ROOT)} has that anchor"
        )


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("The send path, and what holds if a process dies", "the-send-path-and-what-holds-if-a-process-dies"),
        ("Operator console (管理后台)", "operator-console-管理后台"),
        ("`make bench` and its targets", "make-bench-and-its-targets"),
        ("0002: Server-side sessions", "0002-server-side-sessions"),
    ],
)
def test_anchors_are_githubs_slugs(heading: str, expected: str):
    assert slug(heading) == expected
