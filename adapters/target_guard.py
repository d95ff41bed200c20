"""The SSRF check when an endpoint is added: every address the host resolves to must be public, unless allowed.

Kept apart from the HTTP client (adapters/webhooks.py) so the web app does not import aiohttp.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from domain import errors, ports
from domain.outbox import is_public_address


class DnsTargetGuard:
    """The check at `accounts webhooks add` time (the relay checks again at every delivery)."""

    def check(self, host: str, port: int, allow_private: bool) -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise errors.WebhookUrlInvalid("unresolvable_host", host=host) from None
        if not allow_private and not all(is_public_address(str(info[4][0])) for info in infos):
            raise errors.WebhookTargetRefused()


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _target_guard: type[ports.TargetGuard] = DnsTargetGuard
