"""The clock and the source of random codes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


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
