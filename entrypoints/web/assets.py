"""Static files: content-hashed names, precompressed copies and a year's immutable cache.

At start the app hashes every file under static/ and writes, once per content, a copy named
`name.<hash>.ext` into the build folder (`STATIC_BUILD_DIR`) with its brotli and gzip variants made by
WhiteNoise's compressor; stylesheets first get their relative `url(...)` references pointed at the hashed
names, so layui's icon font changes its URL with its content too. WhiteNoise serves that folder under
/static/: it picks the variant the browser accepts and marks the hashed files immutable for a year, so a
repeat visit asks nothing of the server and a deploy changes the URLs of exactly the files that changed.

Templates ask for `asset('js/login.js')` and get the hashed URL. Older hashed files stay in the build folder
(every name is its content), so pages rendered before a rolling deploy still find their files.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import tempfile
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

HASHED_NAME = r"\.[0-9a-f]{12}\.\w+$"
ONE_YEAR = 365 * 24 * 3600
# Relative references inside stylesheets; data: URIs and absolute URLs are left alone.
CSS_URL = re.compile(r"url\((?!['\"]?(?:data:|[a-z]+://|/))(['\"]?)([^'\")?#]+)([^'\")]*)\1\)")


class StaticFiles(WhiteNoise):
    FOREVER = ONE_YEAR  # WhiteNoise's "forever" is ten years; a year is what HTTP caches are asked to honour


def init_assets(app: Flask) -> None:
    assert app.static_folder is not None  # the app is made with its static folder
    source = Path(app.static_folder)
    build = Path(app.config.get("STATIC_BUILD_DIR") or Path(app.instance_path) / "static-build")
    manifest = build_assets(source, build)
    app.extensions["asset_manifest"] = manifest

    def asset(path: str) -> str:
        return "/static/" + manifest[path]

    app.add_template_global(asset)
    app.wsgi_app = StaticFiles(  # type: ignore[method-assign]  # Flask's documented way to wrap its WSGI app
        app.wsgi_app,
        root=build,
        prefix="/static/",
        max_age=60,
        allow_all_origins=False,
        immutable_file_test=HASHED_NAME,
        add_headers_function=_nosniff,
    )


def _nosniff(headers, _path, _url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"  # static answers bypass Flask's after_request


def build_assets(source: Path, build: Path) -> dict[str, str]:
    """{'js/login.js': 'js/login.<hash>.js', ...}; writes what the build folder lacks."""
    manifest: dict[str, str] = {}
    files = sorted(p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file())
    # Stylesheets last: their content (and so their hash) depends on the hashed names they point at.
    for name in sorted(files, key=lambda n: n.endswith(".css")):
        data = (source / name).read_bytes()
        if name.endswith(".css"):
            data = _point_at_hashed(data.decode("utf-8"), name, manifest).encode("utf-8")
        stem, ext = posixpath.splitext(name)
        manifest[name] = f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}{ext}"
        _write_once(build / manifest[name], data)
    return manifest


def _point_at_hashed(css: str, name: str, manifest: dict[str, str]) -> str:
    folder = posixpath.dirname(name)

    def replace(match: re.Match) -> str:
        quote, target, rest = match.groups()
        hashed = manifest.get(posixpath.normpath(posixpath.join(folder, target)))
        if hashed is None:
            return match.group(0)
        return f"url({quote}{posixpath.relpath(hashed, folder)}{rest}{quote})"

    return CSS_URL.sub(replace, css)


def _write_once(path: Path, data: bytes) -> None:
    """Content-addressed: an existing file is already right. Written aside and renamed into place, so that
    workers starting at once never serve a half-written file."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".building-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, 0o644)  # public files: a proxy running as another user may serve this folder directly
    compressor = Compressor(quiet=True)
    variants = compressor.compress(temporary) if compressor.should_compress(path.name) else []
    for variant in variants:  # the variants first: a file WhiteNoise finds has its variants beside it
        os.replace(variant, str(path) + variant[len(temporary) :])
    os.replace(temporary, path)
