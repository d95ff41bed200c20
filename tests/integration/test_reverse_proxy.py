"""The documented nginx configuration (docs/deploy/nginx.conf) in front of gunicorn, under a slow-headers attack.

gunicorn's gthread workers hand a connection to a thread once its first bytes arrive; a client that then sends its
headers one byte at a time holds that thread. Forty such clients hold every thread of a worker, and /healthz waits.
nginx reads whole requests before it opens an upstream connection, so the same clients never reach gunicorn.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import unavailable
from tests.integration.servers import ROOT, Served, free_port

pytestmark = pytest.mark.slow
DOCUMENTED = ROOT / "docs" / "deploy" / "nginx.conf"
SLOW_CLIENTS = 40
ATTACK_SECONDS = 6.0


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, private


class Nginx:
    """nginx running the documented server blocks, with this test's ports, certificate and scratch folders."""

    def __init__(self, workdir: Path, upstream_port: int):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            unavailable("nginx", "not installed: `make nginx-deps` installs it from Debian")
        self.port, plain_port = free_port(), free_port()
        cert, key = self_signed(workdir)
        site = DOCUMENTED.read_text()
        for documented, here in [
            ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
            ("listen 443 ssl;", f"listen 127.0.0.1:{self.port} ssl;"),
            ("listen 80;", f"listen 127.0.0.1:{plain_port};"),
            ("/etc/ssl/accounts/fullchain.pem", str(cert)),
            ("/etc/ssl/accounts/privkey.pem", str(key)),
        ]:
            assert documented in site, f"docs/deploy/nginx.conf no longer says {documented!r}"
            site = site.replace(documented, here)
        (workdir / "accounts.conf").write_text(site)
        temp = workdir / "nginx-temp"
        temp.mkdir()
        temp.chmod(0o777)  # nginx's workers run as nobody when the master is root
        self.error_log = workdir / "nginx-error.log"
        (workdir / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {self.error_log} warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
            f"  include {workdir / 'accounts.conf'};\n}}\n"
        )
        self.process = subprocess.Popen(
            [binary, "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not start: {self.error_log.read_text() if self.error_log.exists() else ''}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


def slow_headers(port: int, tls: bool, stop: threading.Event) -> None:
    """One client that sends a request's headers a byte every half second, and never finishes them."""
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        if tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            connection = context.wrap_socket(connection)
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 1000:
            if stop.wait(0.5):
                break
            connection.send(bytes([byte]))
    except OSError:
        pass  # closed by the server: the attack ends for this client, as it should


def healthz_under_attack(base: str, port: int, tls: bool) -> list[float | None]:
    """Seconds /healthz took, checked every half second while the slow clients hold their connections (None: no
    answer within 5 s)."""
    stop = threading.Event()
    attackers = [threading.Thread(target=slow_headers, args=(port, tls, stop)) for _ in range(SLOW_CLIENTS)]
    for attacker in attackers:
        attacker.start()
    time.sleep(1.5)  # every attacker has sent its first bytes
    waits: list[float | None] = []
    deadline = time.monotonic() + ATTACK_SECONDS
    with requests.Session() as http:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                answered = http.get(base + "/healthz", timeout=5, verify=False).status_code == 200
            except requests.RequestException:
                answered = False
            waits.append(time.monotonic() - started if answered else None)
            time.sleep(0.5)
    stop.set()
    for attacker in attackers:
        attacker.join(timeout=10)
    return waits


def describe(waits: list[float | None]) -> str:
    answered = [w for w in waits if w is not None]
    slowest = f"slowest {max(answered) * 1000:.0f} ms" if answered else "none answered"
    return f"{len(answered)} of {len(waits)} /healthz answered within 5 s, {slowest}"


def test_the_documented_nginx_keeps_the_service_up_under_slow_headers(tmp_path):
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    env = {
        "SERVED_CONFIG": json.dumps(
            {
                "SECRET_KEY": "53161b7e822020dad6203986b8dd8012179d8eec",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
                "AUTO_MIGRATE": True,
            }
        ),
        "SERVED_SMS_FILE": str(tmp_path / "sms.jsonl"),
        "SERVED_CAPTCHA_FILE": str(tmp_path / "captcha.txt"),
        "TRUSTED_PROXIES": "1",
    }
    with Served(tmp_path, env, workers=1, args=("-c", "python:entrypoints.gunicorn_conf")) as served:
        direct = healthz_under_attack(served.base, served.port, tls=False)
        nginx = Nginx(tmp_path, served.port)
        try:
            proxied = healthz_under_attack(f"https://127.0.0.1:{nginx.port}", nginx.port, tls=True)
        finally:
            nginx.stop()
    print(
        f"\nslow headers, {SLOW_CLIENTS} clients, gunicorn gthread 1 worker x {os.environ.get('GUNICORN_THREADS', 8)}"
        f" threads:\n  gunicorn alone:  {describe(direct)}\n  behind nginx:    {describe(proxied)}"
    )
    assert None not in proxied, describe(proxied)
