"""The API contract: the OpenAPI 3.1 description at /api/openapi.json and a page for people at /api/docs.

openapi.json beside this file is the contract; tests/integration/test_openapi.py checks it against the app's routes
and responses, tests/integration/test_fuzz.py fuzzes the app with it. The page is Swagger UI, vendored under
static/apidocs/ (no CDN: the CSP allows scripts from this origin only, none inline).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, render_template, request

SPEC_PATH = Path(__file__).with_name("openapi.json")

# Read and parsed once, at import: a broken file stops the app at start, not at the first request.
SPEC_BYTES = SPEC_PATH.read_bytes()
SPEC: dict = json.loads(SPEC_BYTES)
SPEC_ETAG = hashlib.sha256(SPEC_BYTES).hexdigest()[:32]

openapi = Blueprint("openapi", __name__)


@openapi.get("/api/openapi.json")
def openapi_json():
    response = Response(SPEC_BYTES, mimetype="application/json")
    response.set_etag(SPEC_ETAG)
    response.cache_control.no_cache = True  # revalidate: the ETag makes that a 304 until a deploy changes it
    return response.make_conditional(request)


@openapi.get("/api/docs")
def api_docs():
    # The page carries its session's CSRF token in a meta tag, so that "Try it out" can POST.
    return render_template("api_docs.html", spec_url="/api/openapi.json")
