"""Endpoints only our own pages may load. Another site's <img src=".../get_captcha"> would spend its visitor's
per-IP allowance and write a captcha row per view, so such loads are refused before the rate limit counts them.

Browsers say where a request comes from in fetch metadata (Sec-Fetch-Site; every current browser since 2023);
older ones are judged by Origin or Referer (our pages send Referer to us: the policy is same-origin). A request
with none of the three is let through: no modern browser sends a cross-site load that way, and command-line
clients send none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from domain.errors import CrossSiteRequest

SAME_ORIGIN_ONLY = {"api.get_captcha"}


def refuse_cross_site_loads() -> None:
    """A before_request hook."""
    if request.endpoint in SAME_ORIGIN_ONLY and not _from_our_pages():
        raise CrossSiteRequest()


def _from_our_pages() -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        # "none": the user opened the URL themselves (address bar, bookmark), which only a navigation does.
        return site == "same-origin" or (site == "none" and request.headers.get("Sec-Fetch-Dest") == "document")
    for header in ("Origin", "Referer"):
        if value := request.headers.get(header):
            return urlsplit(value).netloc == request.host  # "null", another host and garbage all fail
    return True
