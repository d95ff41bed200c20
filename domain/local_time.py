"""The service's local time: the pages show times in it and the console counts its days in it."""

from __future__ import annotations

from datetime import timedelta, timezone

# Beijing time: China keeps one zone with no daylight saving, so a fixed offset is exact all year.
BEIJING = timezone(timedelta(hours=8))
