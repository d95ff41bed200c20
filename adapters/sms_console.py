from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from domain import ports
from domain.model import SentSms


class ConsoleSmsSender:
    """Development stand-in for an SMS provider: the 'phone' is the server's console, one line per message.
    Refused when served by gunicorn unless SMS_ALLOW_CONSOLE says so (entrypoints/sms_settings.py)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    def send_code(self, mobile: str, code: str, purpose: str) -> SentSms:
        stream = self.stream or sys.stdout
        stream.write(f"[SMS] mobile={mobile} purpose={purpose} code={code}\n")
        stream.flush()
        return SentSms(provider="console")

    def send_notice(self, mobile: str, notice: str) -> SentSms:
        stream = self.stream or sys.stdout
        stream.write(f"[SMS] mobile={mobile} notice={notice}\n")
        stream.flush()
        return SentSms(provider="console")


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    _sms_sender: type[ports.SmsSender] = ConsoleSmsSender
