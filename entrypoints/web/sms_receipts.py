"""Delivery receipts, posted by the SMS providers to the URLs configured in their consoles (docs/sms-providers.md).

The secret in the URL (SMS_RECEIPT_TOKEN) is the authentication: the providers sign nothing we could check, and
send no CSRF token (these routes alone are exempt). A wrong or unset token is a plain 404. Receipts repeat: the
use case records one event per message whatever the number of copies.
"""

from __future__ import annotations

import hmac

import structlog
from flask import Blueprint, abort, current_app, request

from domain.errors import InvalidInput
from domain.use_cases.record_sms_receipts import SmsReceipt
from entrypoints.web.context import client_context, services

sms_receipts = Blueprint("sms_receipts", __name__, url_prefix="/api/sms/receipts")

MAX_BODY = 1024 * 1024  # a provider batches receipts: far more than the 16 KiB the app's own forms get
MAX_RECEIPTS = 1000  # per request, so one transaction stays short
MAX_TEXT = 64

log = structlog.get_logger("sms")


@sms_receipts.before_request
def authenticate_and_size():
    configured = current_app.config.get("SMS_RECEIPT_TOKEN")
    given = (request.view_args or {}).get("token", "")
    if not configured or not hmac.compare_digest(given.encode(), configured.encode()):
        abort(404)
    request.max_content_length = MAX_BODY


def receipt_items() -> list[dict]:
    try:
        items = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON
        items = None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_RECEIPTS or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("receipts_array", max=MAX_RECEIPTS)
    return items


def field(item: dict, name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise InvalidInput("missing_field", field=name, name=name)
    return value


def record(provider: str, receipts: list[SmsReceipt]) -> None:
    counts = services().record_sms_receipts(receipts, client_context())
    # Unknown ids are acknowledged all the same (a purged code, or another system's message): said here.
    log.info(
        "sms_receipts", provider=provider, recorded=counts.recorded, repeated=counts.repeated, unknown=counts.unknown
    )


@sms_receipts.post("/aliyun/<token>")
def aliyun(token: str):
    """SmsReport, HTTP batch push: [{"biz_id", "success", "err_code", "phone_number", ...}, ...]."""
    receipts = []
    for item in receipt_items():
        if not isinstance(item.get("success"), bool):
            raise InvalidInput("missing_field", field="success", name="success")
        receipts.append(SmsReceipt("aliyun", field(item, "biz_id"), item["success"], field(item, "err_code")))
    record("aliyun", receipts)
    return {"code": 0, "msg": "成功"}


@sms_receipts.post("/tencent/<token>")
def tencent(token: str):
    """Status callback: [{"sid", "report_status": "SUCCESS" | "FAIL", "errmsg", "mobile", ...}, ...]."""
    receipts = []
    for item in receipt_items():
        status = field(item, "report_status")
        if status not in ("SUCCESS", "FAIL"):
            raise InvalidInput("field", field="report_status", name="report_status")
        receipts.append(SmsReceipt("tencent", field(item, "sid"), status == "SUCCESS", field(item, "errmsg")))
    record("tencent", receipts)
    return {"result": 0, "errmsg": "OK"}
