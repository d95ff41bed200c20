"""The client's address behind trusted proxies. werkzeug's ProxyFix takes X-Forwarded-For as given; this keeps
it only when it is an IPv4 or IPv6 address (in its canonical spelling), and otherwise falls back to the socket
address and marks the request, so that no stored IP, log line or rate-limit key is whatever a client wrote."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

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


class FromTrustedProxies:
    """ProxyFix by address as well as by count: the forwarded headers are taken only from a peer (REMOTE_ADDR) in
    `proxies`. ProxyFix alone trusts the last `hops` entries from whoever connects, so with the port reachable
    directly a client would pick its own address, a new one per request, past every per-IP limit."""

    def __init__(self, app, hops: int, proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]):
        self.direct, self.proxies = app, tuple(proxies)
        self.proxied = ProxyFix(CheckedForwardedFor(app), x_for=hops, x_proto=hops, x_host=hops)

    def __call__(self, environ, start_response):
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        return self.direct(environ, start_response)  # X-Forwarded-* as any other header a client wrote: ignored

    def trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:  # a unix socket, or no address at all: no proxy we know
            return False
        if address.version == 6 and address.ipv4_mapped is not None:  # ::ffff:10.0.0.5 is 10.0.0.5
            address = address.ipv4_mapped
        return any(address in network for network in self.proxies)


def forwarded_for_invalid() -> bool:
    return bool(request.environ.get(FORWARDED_FOR_INVALID))
