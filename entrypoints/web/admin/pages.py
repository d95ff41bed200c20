"""The console's pages: server-rendered layui, read-only; the actions go through api.py."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from flask import Blueprint, Response, g, render_template, request

from domain.console import METRICS, EventFilter
from domain.errors import InvalidInput
from domain.local_time import BEIJING
from domain.model import MOBILE_PATTERN, mask_mobile
from domain.outbox import RetryRule
from entrypoints.web.admin.auth import actor
from entrypoints.web.admin.labels import AUDIT_CSV_COLUMNS, EVENT_LABELS, METRIC_LABELS, REASON_LABELS
from entrypoints.web.context import client_context, services

admin_pages = Blueprint("admin_pages", __name__)

MAX_FILTER = 64
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula injection (OWASP: CSV injection)


@admin_pages.app_context_processor
def console_context():
    return {
        "operator": g.get("actor"),
        "event_labels": EVENT_LABELS,
        "reason_labels": REASON_LABELS,
        "mask_mobile": mask_mobile,
    }


def console():
    return services().admin


def page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 1


@admin_pages.get("/login")
def login():
    return render_template("admin/login.html")


@admin_pages.get("/setup")
def setup():
    return render_template("admin/setup.html")  # the token is in the URL's fragment: the page posts it


@admin_pages.get("/")
def dashboard():
    counts = console().dashboard(actor(), client_context())
    chart = {"days": [day.strftime("%m-%d") for day in counts.days], "series": counts.series, "labels": METRIC_LABELS}
    totals = {metric: sum(values) for metric, values in counts.series.items()}
    return render_template(
        "admin/dashboard.html", chart=chart, totals=totals, metrics=list(METRICS), metric_labels=METRIC_LABELS
    )


@admin_pages.get("/users")
def users():
    query = request.args.get("q", "")[:MAX_FILTER]
    found = console().search_users(actor(), query, page_arg(), client_context())
    return render_template("admin/users.html", query=query, page=found)


@admin_pages.get("/users/<int:user_id>")
def user(user_id: int):
    return render_template("admin/user.html", user=console().view_user(actor(), user_id, client_context()))


def _when(name: str) -> datetime | None:
    """A datetime-local value (Beijing time), as UTC."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw[:19]).replace(tzinfo=BEIJING)
    except ValueError:
        raise InvalidInput("time_format", field=name) from None


def event_filter() -> EventFilter:
    args = {name: request.args.get(name, "").strip()[:MAX_FILTER] for name in ("type", "mobile", "user_id", "ip")}
    if args["type"] and args["type"] not in EVENT_LABELS:
        raise InvalidInput("unknown_event_type", field="type")
    if args["mobile"] and not MOBILE_PATTERN.fullmatch(args["mobile"]):
        raise InvalidInput("mobile_format", field="mobile")
    if args["user_id"] and not (args["user_id"].isascii() and args["user_id"].isdigit() and len(args["user_id"]) < 19):
        raise InvalidInput("user_id_format", field="user_id")
    return EventFilter(
        types=(args["type"],) if args["type"] else (),
        mobile=args["mobile"] or None,
        user_id=int(args["user_id"]) if args["user_id"] else None,
        ip=args["ip"] or None,
        since=_when("since"),
        until=_when("until"),
    )


@admin_pages.get("/audit")
def audit():
    where = event_filter()
    found = console().search_events(actor(), where, page_arg(), client_context())
    return render_template("admin/audit.html", page=found, args=request.args, types=list(EVENT_LABELS))


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


@admin_pages.get("/audit.csv")
def audit_csv():
    events = console().export_events(actor(), event_filter(), client_context())
    buffer = io.StringIO()
    buffer.write("\ufeff")  # UTF-8 with BOM: Excel then reads the Chinese correctly
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for event in events:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    event.occurred_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                    EVENT_LABELS.get(str(event.type), ""),
                    str(event.type),
                    event.user_id,
                    mask_mobile(event.mobile) if event.mobile else "",
                    event.client.ip,
                    event.client.user_agent,
                    event.client.request_id,
                    json.dumps(event.detail, ensure_ascii=False, sort_keys=True, default=str),
                )
            ]
        )
    stamp = datetime.now(BEIJING).strftime("%Y%m%d-%H%M%S")
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


@admin_pages.get("/sms")
def sms():
    overview = console().view_sms(actor(), page_arg(), client_context())
    return render_template("admin/sms.html", sms=overview)


@admin_pages.get("/webhooks")
def webhooks():
    return render_template(
        "admin/webhooks.html",
        endpoints=console().view_webhooks(actor(), client_context()),
        retry_window=RetryRule.give_up_after,
    )  # the relay's default (WEBHOOK_RETRY_FOR)
