"""Where a page may send the browser after sign-in: a path on this site, never another host.

Browsers resolve dot segments before they look at the path, and treat `%2e` as a dot, so `/.//evil.example/x`,
`/..//evil.example`, `/a/..//evil.example` and `/%2e//evil.example` all become `//evil.example...`, which
a browser reads as another host. The target is resolved the way a browser resolves it, then refused unless it
is still a single-slash path; the page gets only the vetted result (and checks its origin again itself).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

HOME = "/"
UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # controls, spaces and backslashes: browsers strip or bend them
DOT = re.compile(r"%2e", re.IGNORECASE)


def vetted_next(raw: str | None) -> str:
    if not raw or len(raw) > 2048 or UNSAFE.search(raw) or not raw.startswith("/") or raw.startswith("//"):
        return HOME
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return HOME
    path = _resolve_dot_segments(DOT.sub(".", parts.path))
    if not path.startswith("/") or path.startswith("//"):
        return HOME
    return urlunsplit(("", "", path, parts.query, ""))


def _resolve_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, as browsers apply it to a path."""
    segments = path.split("/")[1:]
    resolved: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                resolved.append("")
        elif segment == "..":
            if resolved:
                resolved.pop()
            if last:
                resolved.append("")
        else:
            resolved.append(segment)
    return "/" + "/".join(resolved)
