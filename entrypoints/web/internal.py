"""Endpoints for internal services, behind an API key (Authorization: Bearer ak_...):

GET /api/internal/events?after=&limit=   the exported events in delivery order, and `next` to ask from
GET /api/internal/session                200 with X-User-Id / X-User-Nickname for a signed-in cookie, else 401

Both are GET-only and change nothing but the audit log (each use is recorded), which is why CSRF does not apply
to them. They are not under the per-IP rate limit: nginx auth_request sends every page view from one address.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, request
from flask_login import current_user

from domain.errors import ApiKeyInvalid, InvalidInput, LoginRequired
from domain.outbox import payload
from domain.use_cases.api_keys import ApiKeyUse
from entrypoints.web.context import client_context, services

internal = Blueprint("internal", __name__)


def use_api_key(endpoint: str) -> None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiKeyInvalid()
    services().integrations.use_api_key(ApiKeyUse(key.strip(), endpoint, client_context()))


def whole_number(name: str, default: int) -> int:
    value = request.args.get(name, str(default))
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise InvalidInput("parameter", field=name, name=name)
    return int(value)


@internal.get("/api/internal/events")
def events():
    use_api_key("events")
    after, limit = whole_number("after", 0), whole_number("limit", 100)
    page, following = services().integrations.read_event_feed(after, limit)
    return {"events": [payload(e) for e in page], "next": following}


@internal.get("/api/internal/session")
def session_check():
    signed_in = current_user.is_authenticated  # whatever keeps sessions underneath, Flask-Login answers
    use_api_key("session")
    if not signed_in:
        raise LoginRequired()
    user_id, nickname = current_user.user_id, current_user.nickname
    # Header values are Latin-1: the nickname (any Chinese text or emoji) travels percent-encoded UTF-8.
    headers = {"X-User-Id": str(user_id), "X-User-Nickname": quote(nickname, safe=""), "Cache-Control": "no-store"}
    return {"user_id": user_id, "nickname": nickname}, 200, headers
