"""The console's names for what it shows: event types, dashboard metrics, refusal reasons. The words live in the
catalogue (entrypoints/messages.py) with every other word; this module is where the console's pages find them."""

from __future__ import annotations

from entrypoints.messages import AUDIT_CSV_COLUMNS, EVENT_LABELS, METRIC_LABELS, REASON_LABELS

__all__ = ["AUDIT_CSV_COLUMNS", "EVENT_LABELS", "METRIC_LABELS", "REASON_LABELS"]
