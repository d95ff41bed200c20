"""概览: the last 30 days, per day (Beijing time), one series per metric in domain/console.py::METRICS.

Days that ended more than SETTLE ago are counted once and kept in a roll-up; the days after that are counted
live, so a view reads at most two days of events whatever the size of the log.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain import errors
from domain.console import METRICS, DayCounts, counted_types, metric_of
from domain.events import ClientContext
from domain.flows.operator_actions import require
from domain.local_time import BEIJING
from domain.operators import Action, Actor
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory

DAYS = 30
# Events are stamped when their use case starts and committed a moment later (an SMS send waits for the
# provider): a day is rolled up only once no event of it can still be on its way.
SETTLE = timedelta(hours=1)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), BEIJING)


def count_days(uow: UnitOfWork, days: list[date]) -> dict[tuple[date, str], int]:
    """Every metric of these days (zeros included), in one query over the span they cover."""
    if not days:
        return {}
    first, last = min(days), max(days)
    span = [first + timedelta(n) for n in range((last - first).days + 1)]
    boundaries = [day_start(day) for day in span] + [day_start(last + timedelta(1))]
    counts = {(day, metric): 0 for day in days for metric in METRICS}
    for (index, event_type, method), number in uow.console.count_by_day(boundaries, counted_types()).items():
        metric, day = metric_of(event_type, method), span[index]
        if metric and (day, metric) in counts:
            counts[day, metric] += number
    return counts


class Dashboard:
    def __init__(self, reader: UnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock):
        self.reader, self.uow, self.clock = reader, uow, clock

    def __call__(self, actor: Actor, client: ClientContext) -> DayCounts:
        require(actor, Action.READ, uow=self.uow, clock=self.clock, client=client)
        now = self.clock.now()
        today = now.astimezone(BEIJING).date()
        days = [today - timedelta(n) for n in range(DAYS - 1, -1, -1)]
        settled = [day for day in days if day_start(day + timedelta(1)) + SETTLE <= now]
        with self.reader() as uow:
            counts = uow.console.stored_day_counts(days[0], days[-1])
            stored = {day for day, _ in counts}
            missing = [day for day in settled if day not in stored]
            fresh = count_days(uow, missing)
            counts.update(fresh)
            counts.update(count_days(uow, [day for day in days if day not in settled]))
        if fresh:
            self._keep(fresh)
        return DayCounts(days, {metric: [counts.get((day, metric), 0) for day in days] for metric in METRICS})

    def _keep(self, fresh: dict[tuple[date, str], int]) -> None:
        try:
            with self.uow() as uow:
                uow.console.store_day_counts(fresh)
                uow.commit()
        except errors.Conflict:
            pass  # another view rolled up the same days first: the same numbers
