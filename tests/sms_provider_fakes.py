"""Local plain-HTTP servers on 127.0.0.1 that play Aliyun's and Tencent Cloud's SendSms, for the adapters' tests
and the benchmark. Each checks what the official SDK sends (the action, the fields, and the request signature
computed with the secret it was given, so wrong credentials get the provider's own authentication error) and
answers as the provider would in the mode it is set to:

    ok, throttled, invalid_number, balance, sign_name, template, http_500, hang

`delay` holds every answer that long (a provider's round trip); `hang` answers nothing until the server stops.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

MODES = ("ok", "throttled", "invalid_number", "balance", "sign_name", "template", "http_500", "hang")


class FakeProvider:
    name = ""

    def __init__(self, key_id: str, secret: str, delay: float = 0.0):
        self.key_id, self.secret, self.delay = key_id, secret, delay
        self.mode = "ok"
        self.on_request = None  # called as each request arrives: a test's look at the world at that moment
        self.received: list[dict] = []  # the fields of every request that passed the signature check
        self.answered = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True  # a hanging answer never holds up stop()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # The templates of TEMPLATE_EXAMPLE that carry no code (notices): sent without parameters.
    NOTICE_TEMPLATES = frozenset({"SMS_006", "449744"})

    def codes(self) -> list[tuple[str, str]]:
        """(mobile, code) of every accepted message that carries a code, in order."""
        with self._lock:
            return [(r["mobile"], r["code"]) for r in self.received if r.get("accepted") and r["code"] is not None]

    def notices(self) -> list[tuple[str, str]]:
        """(mobile, template) of every accepted notice, in order."""
        with self._lock:
            return [(r["mobile"], r["template"]) for r in self.received if r.get("accepted") and r["code"] is None]

    # --- one request ---------------------------------------------------------------------------------------

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle's algorithm on, the body waits for the client's
            # delayed ACK (40 ms on Linux), a stall no real provider adds.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if provider.on_request is not None:
                    provider.on_request()
                if provider.delay:
                    time.sleep(provider.delay)
                if provider.mode == "hang":
                    provider._stopping.wait()  # past any client timeout; ends when the server stops
                    return
                if provider.mode == "http_500":
                    return self.reply(500, b"<html><body>502 Bad Gateway</body></html>", "text/html")
                status, answer = provider.answer(self.command, self.path, dict(self.headers.items()), body)
                self.reply(status, json.dumps(answer, ensure_ascii=False).encode(), "application/json")

            def reply(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with provider._lock:
                    provider.answered += 1

            def log_message(self, *args):  # quiet
                pass

        return Handler

    def record(self, fields: dict) -> None:
        with self._lock:
            self.received.append(fields)

    def answer(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        raise NotImplementedError


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class FakeAliyun(FakeProvider):
    """dysmsapi 2017-05-25 SendSms: RPC style, fields in the query, ACS3-HMAC-SHA256 signature.
    Business errors come back as HTTP 200 with their Code; authentication errors as HTTP 4xx."""

    name = "aliyun"
    ERRORS = {
        "throttled": "isv.BUSINESS_LIMIT_CONTROL",
        "invalid_number": "isv.MOBILE_NUMBER_ILLEGAL",
        "balance": "isv.AMOUNT_NOT_ENOUGH",
        "sign_name": "isv.SMS_SIGNATURE_ILLEGAL",
        "template": "isv.SMS_TEMPLATE_ILLEGAL",
    }

    def answer(self, method, path, headers, body):
        headers = {k.lower(): v for k, v in headers.items()}
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        request_id = f"req-{time.monotonic_ns()}"
        if headers.get("x-acs-action") != "SendSms" or headers.get("x-acs-version") != "2017-05-25":
            return 400, {"Code": "InvalidAction.NotFound", "Message": "bad action", "RequestId": request_id}
        if problem := self.check_signature(method, urlsplit(path).path or "/", query, headers, body):
            return problem
        fields = {
            "mobile": query.get("PhoneNumbers"),
            "sign_name": query.get("SignName"),
            "template": query.get("TemplateCode"),
            "code": json.loads(query.get("TemplateParam") or "{}").get("code"),
        }
        notice = fields["template"] in self.NOTICE_TEMPLATES and "TemplateParam" not in query
        if not all(value for name, value in fields.items() if not (notice and name == "code")):
            return 200, {"Code": "isv.INVALID_PARAMETERS", "Message": "missing field", "RequestId": request_id}
        if self.mode in self.ERRORS:
            self.record(fields)
            return 200, {"Code": self.ERRORS[self.mode], "Message": "refused", "RequestId": request_id}
        self.record({**fields, "accepted": True})
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"{len(self.received):06d}^0", "RequestId": request_id}

    def check_signature(self, method, uri, query, headers, body):
        try:
            algorithm, rest = headers["authorization"].split(" ", 1)
            parts = dict(part.split("=", 1) for part in rest.split(","))
            signed = parts["SignedHeaders"].split(";")
            canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
        except (KeyError, ValueError):
            return 400, {"Code": "MissingAuthorization", "Message": "no signature", "RequestId": "-"}
        if parts.get("Credential") != self.key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "unknown key", "RequestId": "-"}
        payload_hash = hashlib.sha256(body).hexdigest()
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in sorted(query.items()))
        canonical = "\n".join(
            [
                method,
                uri,
                canonical_query,
                canonical_headers,
                parts["SignedHeaders"],
                headers.get("x-acs-content-sha256", ""),
            ]
        )
        to_sign = f"{algorithm}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = _hmac(self.secret.encode(), to_sign).hex()
        if (
            algorithm != "ACS3-HMAC-SHA256"
            or headers.get("x-acs-content-sha256") != payload_hash
            or not hmac.compare_digest(expected, parts.get("Signature", ""))
        ):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "signature mismatch", "RequestId": "-"}
        return None


class FakeTencent(FakeProvider):
    """SendSms 2021-01-11: JSON body, TC3-HMAC-SHA256 signature. Request errors come back in Response.Error,
    per-number ones in SendStatusSet (both with HTTP 200)."""

    name = "tencent"
    STATUS_ERRORS = {
        "throttled": "LimitExceeded.PhoneNumberDailyLimit",
        "invalid_number": "InvalidParameterValue.IncorrectPhoneNumber",
    }
    REQUEST_ERRORS = {
        "balance": "FailedOperation.InsufficientBalanceInSmsPackage",
        "sign_name": "FailedOperation.SignatureIncorrectOrUnapproved",
        "template": "FailedOperation.TemplateIncorrectOrUnapproved",
    }

    def __init__(self, key_id: str, secret: str, delay: float = 0.0, app_id: str = "1400006666"):
        super().__init__(key_id, secret, delay)
        self.app_id = app_id

    def answer(self, method, path, headers, body):
        request_id = f"req-{time.monotonic_ns()}"

        def error(code: str) -> tuple[int, dict]:
            return 200, {"Response": {"Error": {"Code": code, "Message": code}, "RequestId": request_id}}

        if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
            return error("InvalidAction")
        if problem := self.check_signature(method, path, headers, body):
            return error(problem)
        params = json.loads(body)
        numbers, template_params = params.get("PhoneNumberSet") or [], params.get("TemplateParamSet") or []
        if params.get("SmsSdkAppId") != self.app_id:
            return error("UnauthorizedOperation.SmsSdkAppIdVerifyFail")
        expected_params = 0 if params.get("TemplateId") in self.NOTICE_TEMPLATES else 1
        if (
            len(numbers) != 1
            or not numbers[0].startswith("+86")
            or len(template_params) != expected_params
            or not params.get("SignName")
            or not params.get("TemplateId")
        ):
            return error("InvalidParameterValue.MissingParameter")
        fields = {
            "mobile": numbers[0][3:],
            "sign_name": params["SignName"],
            "template": params["TemplateId"],
            "code": template_params[0] if template_params else None,
            "region": headers.get("X-TC-Region"),
        }
        if self.mode in self.REQUEST_ERRORS:
            self.record(fields)
            return error(self.REQUEST_ERRORS[self.mode])
        code = self.STATUS_ERRORS.get(self.mode, "Ok")
        self.record({**fields, "accepted": code == "Ok"})
        serial = f"2640:{len(self.received):010d}" if code == "Ok" else ""
        status = {
            "SerialNo": serial,
            "PhoneNumber": numbers[0],
            "Fee": 1 if code == "Ok" else 0,
            "SessionContext": "",
            "Code": code,
            "Message": "send success" if code == "Ok" else code,
            "IsoCode": "CN",
        }
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}

    def check_signature(self, method, path, headers, body) -> str | None:
        try:
            algorithm, rest = headers["Authorization"].split(" ", 1)
            parts = dict(part.strip().split("=", 1) for part in rest.split(","))
            key_id, date, service, _ = parts["Credential"].split("/")
            timestamp = headers["X-TC-Timestamp"]
        except (KeyError, ValueError):
            return "AuthFailure.SignatureFailure"
        if key_id != self.key_id:
            return "AuthFailure.SecretIdNotFound"
        if date != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d"):
            return "AuthFailure.SignatureFailure"
        canonical = "\n".join(
            [
                method,
                urlsplit(path).path,
                "",
                f"content-type:{headers['Content-Type']}\nhost:{headers['Host']}\n",
                "content-type;host",
                hashlib.sha256(body).hexdigest(),
            ]
        )
        to_sign = "\n".join(
            [algorithm, timestamp, f"{date}/{service}/tc3_request", hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key = _hmac(_hmac(_hmac(f"TC3{self.secret}".encode(), date), service), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("Signature", "")):
            return "AuthFailure.SignatureFailure"
        return None
