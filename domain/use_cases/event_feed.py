"""The pull API: exported events past a position, in delivery order, and the position to ask from next."""

from __future__ import annotations

from domain import errors
from domain.outbox import OutboxEvent, TypeFilter
from domain.ports import EventFeed

MAX_PAGE = 1000


class ReadEventFeed:
    def __init__(self, feed: EventFeed, types: TypeFilter):
        self.feed, self.types = feed, types

    def __call__(self, after: int, limit: int) -> tuple[list[OutboxEvent], int]:
        if after < 0:
            raise errors.InvalidInput("after_negative", field="after")
        if not 1 <= limit <= MAX_PAGE:
            raise errors.InvalidInput("limit_out_of_range", field="limit", max=MAX_PAGE)
        events = self.feed.after(after, limit, self.types)
        return events, (events[-1].seq if events else after)
