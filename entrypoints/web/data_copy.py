"""个人信息副本 as a download: one JSON document, written out while the events are read a page at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from urllib.parse import quote

from flask import Response, stream_with_context

from domain.events import AuditEvent
from domain.use_cases.export_account_data import DataCopy
from entrypoints.messages import say

FORMAT = "accounts.data-copy/1"
EVENTS_PER_CHUNK = 200  # one write to the client per this many events
ABOUT = say("data_copy.about")


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _event(event: AuditEvent) -> dict:
    return {
        "type": str(event.type),
        "occurred_at": event.occurred_at,
        "mobile": event.mobile,
        "user_id": event.user_id,
        "ip": event.client.ip,
        "user_agent": event.client.user_agent,
        "request_id": event.client.request_id,
        "detail": event.detail,
    }


def json_chunks(copy: DataCopy) -> Iterator[str]:
    """The document in pieces: everything but the events at once, then the events in chunks as they are read."""
    head = {
        "format": FORMAT,
        "about": ABOUT,
        "generated_at": copy.generated_at,
        "account": copy.account,
        "consents": [{"document": c.document, "version": c.version, "given_at": c.given_at} for c in copy.consents],
        "sessions": copy.sessions,
        "events": [],
    }
    text = json.dumps(head, ensure_ascii=False, indent=2, default=_plain)
    opening, closing = text.rsplit("[]", 1)  # "events": [] is the last key: the events go in between
    yield opening + "["
    separator = "\n    "
    while chunk := list(islice(copy.events, EVENTS_PER_CHUNK)):
        yield separator + ",\n    ".join(json.dumps(_event(e), ensure_ascii=False, default=_plain) for e in chunk)
        separator = ",\n    "
    yield ("\n  ]" if separator != "\n    " else "]") + closing + "\n"


def download(copy: DataCopy) -> Response:
    response = Response(stream_with_context(json_chunks(copy)), content_type="application/json; charset=utf-8")
    day = copy.generated_at.strftime("%Y%m%d")
    # An ASCII name for old clients, the Chinese one (RFC 6266 filename*) for everyone else.
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"data-copy-{day}.json\"; filename*=UTF-8''{quote(say('data_copy.filename', day=day))}"
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a browser or proxy cache
    return response
