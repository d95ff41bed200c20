"""A webhook receiver on 127.0.0.1 for the relay's tests: records what arrives, and can be down or slow."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    webhook_id: str
    body: dict
    headers: dict
    at: float  # time.time() when it arrived


class Receiver:
    """mode: "up" answers 204; "down" answers 503 without recording; "flaky-ack" records, then answers 500
    (the receiver got it but the relay cannot know: it will send it again, with the same webhook-id)."""

    def __init__(self, secret: str | None = None, delay: float = 0.0):
        self.secret, self.delay = secret, delay
        self.mode = "up"
        self.refuse = lambda body: False  # answer 503 to the events this picks, whatever the mode
        self.received: list[Received] = []
        self.refused = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the http.server name
                data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.take(data, dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, data: bytes, headers: dict) -> int:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            if self.mode == "down":
                self.refused += 1
                return 503
            if self.secret:
                try:
                    Webhook(self.secret).verify(data, headers)
                except Exception:  # noqa: BLE001 - any verification failure counts
                    self.bad_signatures += 1
                    return 400
            lowered = {k.lower(): v for k, v in headers.items()}
            if self.refuse(json.loads(data)):
                self.refused += 1
                return 503
            self.received.append(Received(lowered["webhook-id"], json.loads(data), lowered, time.time()))
            return 500 if self.mode == "flaky-ack" else 204

    def ids(self) -> list[int]:
        """Event ids in order of arrival, leaving out the webhook.* events that setting endpoints up records."""
        with self.lock:
            return [int(r.webhook_id) for r in self.received if not r.body["type"].startswith("webhook.")]

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(set(self.ids())) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(set(self.ids()))} of {count} events arrived in {timeout} s")
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
