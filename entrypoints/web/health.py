"""Probes for the load balancer and the orchestrator."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from adapters.sqlalchemy.engine import NotWritable, check_writable
from adapters.sqlalchemy.migrate import current_revision, head_revision
from entrypoints.web.context import services

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """The process is alive; says nothing about the database on purpose."""
    return {"status": "ok"}


@health.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, is at the revision this code needs, and takes writes."""
    try:
        current = current_revision(services().engine)
    except SQLAlchemyError:
        return {"status": "unavailable", "reason": "database unreachable"}, 503
    head = head_revision()
    if current != head:
        return {"status": "unavailable", "reason": f"database at {current}, code needs {head}"}, 503
    try:
        check_writable(services().engine)
    except (NotWritable, SQLAlchemyError):
        return {"status": "unavailable", "reason": "database not writable"}, 503
    return {"status": "ok", "revision": current}
