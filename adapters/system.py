"""The clock and the source of random codes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SecretCodes:
    def digits(self, length: int) -> str:
        return "".join(secrets.choice("0123456789") for _ in range(length))

    def text(self, alphabet: str, length: int) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))

    def token(self, nbytes: int) -> str:
        return secrets.token_urlsafe(nbytes)


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    from domain import ports

    _clock: type[ports.Clock] = SystemClock
    _codes: type[ports.Codes] = SecretCodes
