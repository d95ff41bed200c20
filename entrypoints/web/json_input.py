"""Request bodies as JSON. A body nested deeper than the parser's recursion limit (1,000 arrays fit in 2 KiB) is
malformed input like any other: get_json() treats ValueError as such, but let RecursionError escape as a 500."""

from __future__ import annotations

from flask.json.provider import DefaultJSONProvider


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
