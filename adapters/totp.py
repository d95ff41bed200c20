"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s, what every authenticator app reads) with pyotp; secrets sealed with
Fernet under a key derived from the app secret, so a copy of the database alone yields no second factor."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING

import pyotp
from cryptography.fernet import Fernet, InvalidToken

ISSUER = "账号服务管理后台"


class PyotpTotp:
    def __init__(self, key: bytes, issuer: str = ISSUER):
        self.fernet = Fernet(base64.urlsafe_b64encode(key[:32]))
        self.issuer = issuer

    def new_secret(self) -> str:
        return self.fernet.encrypt(pyotp.random_base32(32).encode()).decode()  # 160 bits, as RFC 4226 advises

    def _open(self, sealed: str) -> str:
        return self.fernet.decrypt(sealed.encode()).decode()

    def provisioning_uri(self, sealed_secret: str, account: str) -> str:
        return pyotp.TOTP(self._open(sealed_secret)).provisioning_uri(name=account, issuer_name=self.issuer)

    def manual_key(self, sealed_secret: str) -> str:
        secret = self._open(sealed_secret)
        return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))

    def matching_step(self, sealed_secret: str, code: str, now: datetime) -> int | None:
        code = code.strip().replace(" ", "")
        if len(code) != 6 or not (code.isascii() and code.isdigit()):
            return None
        try:
            totp = pyotp.TOTP(self._open(sealed_secret))
        except InvalidToken:  # sealed under another SECRET_KEY
            return None
        step = totp.timecode(now)
        # One step either side: a phone's clock a little off, or a code typed just as it changed.
        for candidate in (step - 1, step, step + 1):
            if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
                return candidate
        return None


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    from domain import ports

    _totp: type[ports.Totp] = PyotpTotp
