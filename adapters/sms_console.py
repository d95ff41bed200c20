from __future__ import annotations

import sys
from typing import TextIO


class ConsoleSmsSender:
    """Development stand-in for an SMS provider: the 'phone' is the server's console, one line per message."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    def send_code(self, mobile: str, code: str, purpose: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"[SMS] mobile={mobile} purpose={purpose} code={code}\n")
        stream.flush()
