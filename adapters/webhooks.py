"""Webhook delivery over HTTP: signed with Standard Webhooks, and never to a private address unless allowed.

The SSRF check runs where the address is chosen (adapters/target_guard.py checks at `webhooks add` time): the relay's HTTP client resolves names through
GuardedResolver, which refuses the whole name if any address it resolves to is not public, and connects only
to the addresses it checked (no second lookup to rebind). Literal IPs are checked before the request.
Redirects are not followed: a 3xx could point anywhere.
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from standardwebhooks.webhooks import Webhook

from domain.outbox import is_public_address

USER_AGENT = "accounts-relay/1 (Standard Webhooks)"


class TargetRefused(OSError):
    pass


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class GuardedResolver(AbstractResolver):
    def __init__(self) -> None:
        self.inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        refused = [r["host"] for r in results if not is_public_address(r["host"])]
        if refused:
            raise TargetRefused(f"{host} resolves to a non-public address ({refused[0]})")
        return results

    async def close(self) -> None:
        await self.inner.close()


class WebhookSender:
    """One aiohttp session for public targets (guarded resolver), one for endpoints allowed private ones."""

    def __init__(self, timeout: float = 10.0, connections: int = 64):
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.connections = connections
        self.sessions: dict[bool, aiohttp.ClientSession] = {}

    def _session(self, allow_private: bool) -> aiohttp.ClientSession:
        if allow_private not in self.sessions:
            resolver = None if allow_private else GuardedResolver()
            connector = aiohttp.TCPConnector(limit=self.connections, resolver=resolver)
            self.sessions[allow_private] = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                trust_env=False,  # no proxy from the environment
                headers={"User-Agent": USER_AGENT},
            )
        return self.sessions[allow_private]

    async def send(self, url: str, secret: str, message_id: str, body: str, allow_private: bool) -> str | None:
        """POST the body signed; None when the receiver answered 2xx, else what went wrong."""
        host = urlsplit(url).hostname or ""
        if not allow_private and _is_ip(host) and not is_public_address(host):
            return f"refused: {host} is not a public address"
        now = datetime.now(UTC)  # the wall clock: receivers check it against theirs
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, body),
        }
        try:
            async with self._session(allow_private).post(
                url, data=body.encode(), headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except TargetRefused as exc:
            return f"refused: {exc}"
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, TargetRefused):
                return f"refused: {exc.os_error}"
            return f"connection failed: {exc.os_error or exc}"
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"[:512] if str(exc) else type(exc).__name__

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()
        self.sessions.clear()
