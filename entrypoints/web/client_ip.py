"""The client's address behind trusted proxies. werkzeug's ProxyFix takes X-Forwarded-For as given; this keeps
it only when it is an IPv4 or IPv6 address (in its canonical spelling), and otherwise falls back to the socket
address and marks the request, so that no stored IP, log line or rate-limit key is whatever a client wrote."""

from __future__ import annotations

import ipaddress

from flask import request

FORWARDED_FOR_INVALID = "accounts.forwarded_for_invalid"


def canonical_ip(value: str | None) -> str | None:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if getattr(address, "scope_id", None):  # fe80::1%eth0 names an interface of the proxy, not a client
        return None
    return str(address)


class CheckedForwardedFor:
    """WSGI middleware placed inside ProxyFix: it sees the address ProxyFix chose and the one it replaced."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        original = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
        forwarded = environ.get("REMOTE_ADDR")
        if forwarded != original:
            if (address := canonical_ip(forwarded)) is None:
                environ["REMOTE_ADDR"] = original
                environ[FORWARDED_FOR_INVALID] = True
            else:
                environ["REMOTE_ADDR"] = address
        return self.app(environ, start_response)


def forwarded_for_invalid() -> bool:
    return bool(request.environ.get(FORWARDED_FOR_INVALID))
