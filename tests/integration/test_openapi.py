"""The API contract (entrypoints/web/openapi.json): valid OpenAPI 3.1, complete against the app's routes and
error slugs, and true of the responses the app gives on a scripted happy path and on every kind of refusal. It is
also the check of request bodies (entrypoints/web/request_schema.py): what that reads of it is tested here too.

Responses are checked with jsonschema_rs, the engine the app validates requests with, against the document's own
components.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import re
import shutil
import threading
import uuid
from functools import cache

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from freezegun import freeze_time
from sqlalchemy.exc import OperationalError

from domain import errors as domain_errors
from domain.rules import Rules
from entrypoints.web import errors as web_errors
from entrypoints.web.api import api
from entrypoints.web.json_input import BoundedJSONProvider
from entrypoints.web.openapi import SPEC, SPEC_PATH
from entrypoints.web.request_schema import CHECKBOX, SHAPES, body
from tests.conftest import CSRF_META, ApiClient, unavailable

MOBILE = "13800138000"
PASSWORD = "s3cure-Passw0rd"
NEW_PASSWORD = "n3w-Passw0rd!x"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


# --- reading the document --------------------------------------------------------------------------


def pointer(document: dict, ref: str):
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(node: dict) -> dict:
    while "$ref" in node:
        node = pointer(SPEC, node["$ref"])
    return node


def walk(node, path=""):
    """Every (json path, dict) in the document."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def schema_objects(document: dict):
    """Every Schema Object: the named components and the `schema` of parameters, headers and media types."""
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        yield f"/components/schemas/{name}", schema
    for where, node in walk(document):
        if "/components/schemas" in where:
            continue
        if isinstance(node.get("schema"), dict):
            yield f"{where}/schema", node["schema"]


def validate_document(document: dict) -> None:
    """Raises unless the document is valid OpenAPI 3.1 with valid JSON Schema 2020-12 schemas and local refs."""
    schemathesis.openapi.from_dict(copy.deepcopy(document)).validate()  # the OpenAPI 3.1 meta-schema
    for where, schema in schema_objects(document):
        try:
            jsonschema_rs.meta.validate({"$schema": DRAFT_2020_12, **schema})  # which the 3.1 meta-schema leaves out
        except jsonschema_rs.ValidationError as error:
            raise AssertionError(f"{where}: {error}") from None
    for where, node in walk(document):
        if isinstance(node.get("$ref"), str):
            try:
                pointer(document, node["$ref"])
            except (KeyError, IndexError, TypeError):
                raise AssertionError(f"{where}: $ref {node['$ref']} points nowhere") from None


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


@cache
def validator(schema_json: str) -> jsonschema_rs.Validator:
    # The document's components ride along, so that "#/components/..." references resolve from the root.
    return jsonschema_rs.Draft202012Validator({**json.loads(schema_json), "components": SPEC["components"]})


def schema_errors(schema: dict, instance) -> list[str]:
    return [
        f"{'/'.join(map(str, e.instance_path)) or '(body)'}: {e.message}"
        for e in validator(json.dumps(schema, sort_keys=True)).iter_errors(instance)
    ]


def assert_conforms(method: str, path: str, response):
    """The response's status, headers, media type and JSON body are as described; returns the JSON body."""
    described = SPEC["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    body_text = response.get_data(as_text=True)[:300] if response.mimetype != "image/png" else "<png>"
    assert status in described, f"{method} {path} answered {status}, which is not described: {body_text}"
    documented = resolve(described[status])
    for name, header in documented.get("headers", {}).items():
        header = resolve(header)
        value = response.headers.get(name)
        if header.get("required"):
            assert value is not None, f"{method} {path} {status}: header {name} is required"
        if value is not None and "schema" in header:
            instance = int(value) if header["schema"].get("type") == "integer" and value.isdigit() else value
            problems = schema_errors(header["schema"], instance)
            assert not problems, f"{method} {path} {status}: header {name}: {value!r}: {problems}"
    content = documented.get("content")
    if not content:
        assert not response.data, f"{method} {path} {status}: no body is described"
        return None
    assert response.mimetype in content, f"{method} {path} {status}: {response.mimetype} not in {list(content)}"
    if response.mimetype != "application/json":
        return None
    body = response.get_json()
    problems = schema_errors(content["application/json"]["schema"], body)
    assert not problems, f"{method} {path} {status}: {body} does not conform: {problems}"
    return body


def assert_refusal(method: str, path: str, response, status: int, slug: str, field: str | None = ...):
    body = assert_conforms(method, path, response)
    assert (response.status_code, body["error"]) == (status, slug), body
    if field is not ...:
        assert body["field"] == field, body
    return body


# --- the document ----------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1():
    assert SPEC["openapi"].startswith("3.1.")
    validate_document(SPEC)


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(
            lambda d: d["paths"]["/healthz"]["get"]["responses"]["200"].pop("description"), id="no-description"
        ),
        pytest.param(lambda d: d["components"]["schemas"]["Success"].update(type="strng"), id="schema-typo"),
        pytest.param(
            lambda d: d["paths"]["/api/login"]["post"]["requestBody"]["content"]["application/json"].update(
                schema={"$ref": "#/components/schemas/Nope"}
            ),
            id="dangling-ref",
        ),
    ],
)
def test_the_validation_catches_a_broken_document(break_it):
    """So that a green validity test means something."""
    broken = copy.deepcopy(SPEC)
    break_it(broken)
    with pytest.raises((jsonschema_rs.ValidationError, AssertionError)):
        validate_document(broken)


def described_routes(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, method, _ in operations(document)}


def app_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)  # /x/<int:id> -> /x/{id}
        if path.startswith("/api/") or path in ("/get_captcha", "/healthz", "/readyz"):
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    for rule in app.extensions["console_app"].url_map.iter_rules():  # the console, mounted at /admin
        path = "/admin" + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        if path.startswith("/admin/api/"):
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_every_api_route_is_described_and_every_description_is_a_route(app):
    routes, described = app_routes(app), described_routes(SPEC)
    assert routes - described == set(), "routes the document does not describe"
    assert described - routes == set(), "described operations the app does not have"


def test_the_document_is_served_as_loaded(client):
    response = client.get("/api/openapi.json")
    assert_conforms("GET", "/api/openapi.json", response)
    assert response.get_json() == SPEC == json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert response.headers["Content-Security-Policy"]  # exempt from none of the app's defences
    again = client.get("/api/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert_conforms("GET", "/api/openapi.json", again)


def code_slugs() -> dict[str, int]:
    """Every slug the app can answer with, and its status, from domain/errors.py and entrypoints/web/errors.py."""
    slugs = {}
    pending = [domain_errors.DomainError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        slugs[cls.slug] = web_errors.STATUS.get(cls.slug, 400)
    slugs.update({slug: status for status, slug in web_errors.HTTP_SLUGS.items()})
    source = inspect.getsource(web_errors)
    slugs.update({slug: int(status) for status, slug in re.findall(r'error_response\((\d+), "(\w+)"', source)})
    slugs["http_error"] = 400  # HTTP_SLUGS' fallback: any other HTTPException, with its own status
    return slugs


def test_the_slug_enum_is_every_slug_the_code_has():
    assert set(SPEC["components"]["schemas"]["ErrorSlug"]["enum"]) == set(code_slugs())


def error_narrowings():
    """(operation, status, code const, slugs) for every error response of the document."""
    for path, method, operation in operations(SPEC):
        for status, response in operation["responses"].items():
            schema = resolve(response).get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("allOf", [{}])[0].get("$ref") == "#/components/schemas/Error":
                narrowed = schema["allOf"][1]["properties"]
                yield f"{method.upper()} {path}", int(status), narrowed["code"]["const"], narrowed["error"]["enum"]


def test_each_described_refusal_has_the_status_the_code_gives_its_slug():
    slugs = code_slugs()
    narrowings = list(error_narrowings())
    assert len(narrowings) > 40
    for operation, status, code, described in narrowings:
        assert code == status, operation
        for slug in described:
            assert slugs[slug] == status, f"{operation} describes {slug} under {status}, the app sends {slugs[slug]}"


def test_every_post_describes_the_csrf_refusal_and_the_defences():
    for path, method, operation in operations(SPEC):
        if method != "post":
            continue
        if path.startswith("/api/sms/receipts/"):  # posted by the SMS providers: the secret in the URL, no CSRF
            assert operation["security"] == [] and operation["parameters"][0]["name"] == "token", path
            continue
        cookie = "consoleCookie" if path.startswith("/admin/") else "sessionCookie"
        assert operation["security"] == [{"csrfToken": [], cookie: []}], path
        narrowed = resolve(operation["responses"]["400"])["content"]["application/json"]["schema"]["allOf"][1]
        assert "csrf_invalid" in narrowed["properties"]["error"]["enum"], path
        assert {"200", "400", "413", "429", "503"} <= set(operation["responses"]), path


# --- the responses ---------------------------------------------------------------------------------


def test_a_happy_path_conforms(client, sms):
    c = client
    with freeze_time("2026-01-01 12:00:00") as clock:
        captcha_uuid = str(uuid.uuid4())
        image = c.get(f"/get_captcha?captcha_uuid={captcha_uuid}")
        assert_conforms("GET", "/get_captcha", image)
        assert image.status_code == 200

        sent = c.post("/api/send_register_sms", {"mobile": MOBILE, **c.solve_captcha()})
        assert assert_conforms("POST", "/api/send_register_sms", sent)["code"] == 0
        registered = c.register(MOBILE, code=sms.last_code(MOBILE))
        assert assert_conforms("POST", "/api/register", registered)["code"] == 0

        signed_in = c.login(MOBILE, remember=True)
        assert assert_conforms("POST", "/api/login", signed_in)["code"] == 0
        assert signed_in.headers["Set-Cookie"].startswith("session=")

        renamed = c.post("/api/account/nickname", {"nickname": " 小红 "})
        assert assert_conforms("POST", "/api/account/nickname", renamed)["nickname"] == "小红"

        changed = c.post(
            "/api/account/password",
            {"currentPassword": PASSWORD, "password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD},
        )
        assert assert_conforms("POST", "/api/account/password", changed)["code"] == 0
        c.token = None  # a new session, a new CSRF token

        everywhere = c.post("/api/account/sign_out_everywhere")
        assert assert_conforms("POST", "/api/account/sign_out_everywhere", everywhere)["code"] == 0
        c.token = None

        assert c.login(MOBILE, NEW_PASSWORD).status_code == 200
        signed_out = c.post("/api/logout")
        assert assert_conforms("POST", "/api/logout", signed_out)["code"] == 0
        c.token = None

        clock.tick(61)  # one code a minute per mobile
        reset_sent = c.post("/api/send_reset_sms", {"mobile": MOBILE, **c.solve_captcha()})
        assert assert_conforms("POST", "/api/send_reset_sms", reset_sent)["code"] == 0
        reset = c.post(
            "/api/reset_password",
            {
                "mobile": MOBILE,
                "vercode": sms.last_code(MOBILE, "reset_password"),
                "password": PASSWORD,
                "confirmPassword": PASSWORD,
            },
        )
        assert assert_conforms("POST", "/api/reset_password", reset)["code"] == 0

    assert assert_conforms("GET", "/healthz", c.get("/healthz")) == {"status": "ok"}
    assert assert_conforms("GET", "/readyz", c.get("/readyz"))["status"] == "ok"
    docs = c.get("/api/docs")
    assert_conforms("GET", "/api/docs", docs)
    assert docs.status_code == 200


def test_refusals_conform(client, sms, captcha):
    c = client
    post = lambda path, json=None, **kw: c.post(path, json, **kw)  # noqa: E731

    assert_refusal("GET", "/get_captcha", c.get("/get_captcha?captcha_uuid=nope"), 400, "invalid_input", "captcha")
    assert_refusal("GET", "/get_captcha", c.get("/get_captcha"), 400, "invalid_input", "captcha")
    cross_site = c.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}", headers={"Sec-Fetch-Site": "cross-site"})
    assert_refusal("GET", "/get_captcha", cross_site, 403, "cross_site_request", None)

    no_token = c.http.post("/api/login", json={}, environ_base=c.environ)
    assert_refusal("POST", "/api/login", no_token, 400, "csrf_invalid", None)
    assert_refusal("POST", "/api/logout", c.http.post("/api/logout"), 400, "csrf_invalid", None)
    # A body of the wrong shape (invalid_input): the request bodies' section below.
    assert_refusal(
        "POST",
        "/api/send_register_sms",
        post("/api/send_register_sms", {"mobile": "12345", **c.solve_captcha()}),
        400,
        "invalid_mobile",
        "mobile",
    )
    assert_refusal(
        "POST",
        "/api/send_register_sms",
        post("/api/send_register_sms", {"mobile": MOBILE, "captcha_uuid": str(uuid.uuid4()), "captcha": "AAAA"}),
        400,
        "captcha_invalid",
        "captcha",
    )
    too_large = c.post("/api/login", data="x" * (16 * 1024 + 1), headers={"Content-Type": "application/json"})
    assert_refusal("POST", "/api/login", too_large, 413, "payload_too_large", None)

    for path in ("/api/account/nickname", "/api/account/password", "/api/account/sign_out_everywhere"):
        assert_refusal("POST", path, post(path, {}), 401, "login_required", None)

    sms.fail = True
    assert_refusal("POST", "/api/send_register_sms", c.send_sms(MOBILE), 503, "sms_unavailable", None)
    sms.fail = False

    with freeze_time("2026-01-01 12:00:00") as clock:
        c.token = None  # a token signed after "now" is refused: get one under the frozen clock
        assert c.send_sms(MOBILE).status_code == 200
        body = assert_refusal("POST", "/api/send_register_sms", c.send_sms(MOBILE), 429, "sms_cooldown", "mobile")
        assert body["retry_after"] == 60
        code = sms.last_code(MOBILE)
        for field, change, slug in [
            ("mobile", {"mobile": "2"}, "invalid_mobile"),
            ("nickname", {"nickname": "\u200b"}, "invalid_nickname"),
            ("password", {"password": "short", "confirmPassword": "short"}, "invalid_password"),
            ("confirmPassword", {"confirmPassword": "other-password"}, "password_mismatch"),
            ("password", {"password": "password123", "confirmPassword": "password123"}, "weak_password"),
            ("agreement", {"agreement": False}, "agreement_required"),
            ("vercode", {"vercode": "000000" if code != "000000" else "111111"}, "sms_code_invalid"),
        ]:
            registration = {
                "nickname": "小明",
                "mobile": MOBILE,
                "vercode": code,
                "password": PASSWORD,
                "confirmPassword": PASSWORD,
                "agreement": "on",
                **change,
            }
            assert_refusal("POST", "/api/register", post("/api/register", registration), 400, slug, field)
        assert c.register(MOBILE, code=code).status_code == 200
        # A registered mobile is not told apart from any other by a spent or made-up code (409 needs a live one).
        assert_refusal("POST", "/api/register", c.register(MOBILE, code=code), 400, "sms_code_invalid", "vercode")
        clock.tick(61)
        assert c.send_sms(MOBILE).status_code == 200  # a registered mobile is answered as any other
        live = sms.last_code(MOBILE)
        assert_refusal("POST", "/api/register", c.register(MOBILE, code=live), 409, "mobile_taken", "mobile")

        for _ in range(5):  # the fifth locks the account, and says no more than the others
            assert_refusal("POST", "/api/login", c.login(MOBILE, "wrong-password"), 401, "bad_credentials", None)
        assert_refusal("POST", "/api/login", c.login(MOBILE), 401, "bad_credentials", None)  # locked
        wrong_captcha = {"mobile": MOBILE, "password": PASSWORD, "captcha_uuid": str(uuid.uuid4()), "captcha": "AAAA"}
        assert_refusal("POST", "/api/login", post("/api/login", wrong_captcha), 400, "captcha_invalid", "captcha")
        clock.tick(15 * 60 + 1)
        assert c.login(MOBILE).status_code == 200

        assert_refusal(
            "POST",
            "/api/account/nickname",
            post("/api/account/nickname", {"nickname": ""}),
            400,
            "invalid_nickname",
            "nickname",
        )
        for change, slug, field in [
            ({"currentPassword": "wrong-password"}, "current_password_invalid", "currentPassword"),
            ({"password": PASSWORD, "confirmPassword": PASSWORD}, "same_password", "password"),
            ({"confirmPassword": "other-password"}, "password_mismatch", "confirmPassword"),
            ({"password": "12345678", "confirmPassword": "12345678"}, "weak_password", "password"),
        ]:
            body = {"currentPassword": PASSWORD, "password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD, **change}
            assert_refusal("POST", "/api/account/password", post("/api/account/password", body), 400, slug, field)
        wrong_current = {"currentPassword": "wrong-password", "password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD}
        for _ in range(4):
            post("/api/account/password", wrong_current)
        locked = assert_refusal(
            "POST", "/api/account/password", post("/api/account/password", wrong_current), 423, "account_locked", None
        )
        assert locked["retry_after"] == 15 * 60

        clock.tick(61)
        reset = {"mobile": MOBILE, "vercode": "123456", "password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD}
        assert_refusal(
            "POST", "/api/reset_password", post("/api/reset_password", reset), 400, "sms_code_invalid", "vercode"
        )
        assert_refusal(
            "POST",
            "/api/reset_password",
            post("/api/reset_password", {**reset, "mobile": "13900139000"}),
            400,
            "sms_code_invalid",
            "vercode",
        )


def test_the_rate_limit_refusal_conforms(make_app, sms, captcha):
    c = ApiClient(make_app(), sms, captcha, ip="198.51.100.9")
    answers = [c.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}") for _ in range(31)]
    assert [a.status_code for a in answers[:30]] == [200] * 30
    body = assert_refusal("GET", "/get_captcha", answers[30], 429, "rate_limited", None)
    assert body["retry_after"] == 60 and answers[30].headers["Retry-After"] == "60"
    for _ in range(30):  # counted for each endpoint of its own
        assert_refusal("POST", "/api/send_reset_sms", c.post("/api/send_reset_sms", {}), 400, "invalid_input", "mobile")
    assert_refusal("POST", "/api/send_reset_sms", c.post("/api/send_reset_sms", {}), 429, "rate_limited", None)
    for path in ("/healthz", "/readyz", "/api/openapi.json", "/api/docs"):
        assert c.get(path).status_code == 200, path  # outside the limit


def test_the_rate_limit_refusal_states_one_wait_however_slow_the_machine(make_app, sms, captcha, monkeypatch):
    """The limiter reads the clock again when it adds its headers: on a slow machine a second has passed by then."""
    import flask_limiter._extension as limiter_module

    c = ApiClient(make_app(), sms, captcha, ip="198.51.100.10")
    for _ in range(30):
        c.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}")
    real_time = limiter_module.time.time
    monkeypatch.setattr(limiter_module.time, "time", lambda: real_time() + 1.5)
    refused = c.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(refused.get_json()["retry_after"])


def test_database_trouble_conforms(client, monkeypatch):
    services = client.app.extensions["services"]

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))

    object.__setattr__(services, "issue_captcha", down)  # a frozen dataclass: swapped for this app only
    body = assert_refusal(
        "GET", "/get_captcha", client.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}"), 503, "service_unavailable", None
    )
    assert body["retry_after"] == 5

    health_module = importlib.import_module("entrypoints.web.health")  # the package's `health` is the blueprint
    monkeypatch.setattr(health_module, "head_revision", lambda: "some-future-revision")
    not_ready = assert_conforms("GET", "/readyz", client.get("/readyz"))
    assert not_ready["status"] == "unavailable"


def test_unknown_paths_and_methods_under_api_answer_in_the_error_shape(client):
    error = {"$ref": "#/components/schemas/Error"}
    for response, status, slug in [
        (client.get("/api/nope"), 404, "not_found"),
        (client.get("/api/login"), 405, "method_not_allowed"),
        (client.post("/api/docs"), 405, "method_not_allowed"),
    ]:
        assert response.status_code == status and response.mimetype == "application/json"
        body = response.get_json()
        assert not schema_errors(error, body) and body["error"] == slug and body["code"] == status


# --- the request bodies: this document is their check (entrypoints/web/request_schema.py) ------------------


def test_every_object_body_is_bounded_strings_and_checkboxes_that_a_refusal_can_name():
    """What body() relies on: each error names a field (a property, or a `required` one, also in if/else) and
    each field is a string of at most 256 characters (a transport bound: the field rules are the domain's) or
    the Checkbox. The described bodies are exactly the ones body() checks."""
    described = set()
    for path, method, operation in operations(SPEC):
        schema = resolve(
            operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        )
        if schema.get("type") != "object":
            continue
        described.add((method.upper(), path))
        assert set(schema) <= {"type", "description", "required", "properties", "if", "else"}, path
        assert all(set(schema.get(branch, {})) <= {"required"} for branch in ("if", "else")), path
        named = {*schema.get("required", []), *schema.get("else", {}).get("required", [])}
        assert named <= set(schema["properties"]), path
        for name, field in schema["properties"].items():
            assert field.get("$ref") == CHECKBOX or (field["type"], field["maxLength"]) == ("string", 256), (path, name)
    assert described == set(SHAPES) and len(described) > 15


@pytest.fixture(scope="module")
def reader():
    """body() on a request to a path of the users' app: the fields it reads, or its refusal's (reason, field)."""
    app = Flask(__name__)
    app.json = BoundedJSONProvider(app)
    app.register_blueprint(api)

    def read(path: str, payload=None, raw: str | None = None):
        data = raw if raw is not None else json.dumps(payload)
        with app.test_request_context(path, method="POST", data=data, content_type="application/json"):
            try:
                return body()
            except domain_errors.InvalidInput as refusal:
                return refusal.reason, refusal.field

    return read


LOGIN = {"mobile": MOBILE, "password": PASSWORD, "captcha_uuid": "x", "captcha": "x"}


def test_a_checkbox_is_ticked_unticked_or_refused(reader):
    assert reader("/api/login", LOGIN) == {**LOGIN, "remember": False}
    for value in [True, "on", "true", "1", 1]:
        assert reader("/api/login", {**LOGIN, "remember": value})["remember"] is True, value
    for value in [False, None, "", "off", "false", "0", 0]:
        assert reader("/api/login", {**LOGIN, "remember": value})["remember"] is False, value
    for value in [2, -1, 0.5, "yes", "ON", "\ud800", [], {}, [True]]:
        assert reader("/api/login", {**LOGIN, "remember": value}) == ("field", "remember"), value


def test_a_string_field_is_refused_when_missing_of_another_type_too_long_or_not_utf8(reader):
    for value in [None, 5, True, [], {}, [MOBILE], "1" * 257, "\ud800", "a\udfffb", ["\ud800"]]:
        assert reader("/api/check_password", {"password": value}) == ("missing_field", "password"), value
    assert reader("/api/check_password", {}) == ("missing_field", "password")
    for value in ["", " 小明 ", "x" * 256, "😀" * 256]:  # 256 characters, whatever their UTF-8 or UTF-16 length
        assert reader("/api/check_password", {"password": value}) == {"password": value}
    unknown = {"password": "x", "other": "\ud800", "deep": [{"a": "\ud800"}]}
    assert reader("/api/check_password", unknown) == {"password": "x"}  # unknown fields are left out, unread


def test_a_body_that_is_no_json_object_is_refused(reader):
    for raw in ["{not json", "", "[1]", "null", '"text"', "1", "[" * 1000 + "]" * 1000]:
        assert reader("/api/check_password", raw=raw) == ("json_object", None), raw[:20]


def test_of_several_refused_fields_the_first_the_document_lists_is_named(reader):
    assert reader("/api/login", {"remember": "maybe"}) == ("field", "remember")  # login reads 记住我 first
    assert reader("/api/send_register_sms", {"mobile": MOBILE}) == ("missing_field", "captcha_uuid")
    assert reader("/api/register", {"agreement": "maybe", "password": 5}) == ("missing_field", "nickname")
    registration = {
        "nickname": "小明",
        "mobile": MOBILE,
        "vercode": "123456",
        "password": "\ud800",
        "confirmPassword": 5,
        "agreement": [],
    }
    assert reader("/api/register", registration) == ("missing_field", "password")
    # Optional fields: the current password of an account without one, the SMS code that replaces a password.
    change = {"password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD}
    assert reader("/api/account/password", change) == change
    assert reader("/api/account/password", {**change, "currentPassword": None}) == ("missing_field", "currentPassword")
    assert reader("/api/account/delete", {}) == ("missing_field", "currentPassword")
    assert reader("/api/account/delete", {"vercode": 5, "currentPassword": 5}) == ("missing_field", "vercode")
    assert reader("/api/account/delete", {"vercode": "123456"}) == {"vercode": "123456"}


def test_a_refused_body_is_answered_with_the_field_and_the_catalogue_s_words(client):
    json_type, form_type = "application/json", "application/x-www-form-urlencoded"
    for path, content_type, raw, field, message in [
        ("/api/register", form_type, "mobile=1", None, "请求体必须是 JSON 对象"),
        ("/api/check_password", json_type, "[1]", None, "请求体必须是 JSON 对象"),
        ("/api/check_password", json_type, '{"password": "\\ud800"}', "password", "缺少或无效的字段：password"),
        ("/api/login", json_type, json.dumps({**LOGIN, "remember": []}), "remember", "无效的字段：remember"),
        ("/admin/api/setup/start", json_type, "{}", "token", "缺少或无效的字段：token"),
    ]:
        if path.startswith("/admin/"):  # the console's own CSRF token, from a console page
            client.token = CSRF_META.search(client.get("/admin/login").get_data(as_text=True)).group(1)
        response = client.http.post(
            path,
            data=raw,
            content_type=content_type,
            environ_base=client.environ,
            headers={"X-CSRFToken": client.csrf()},
        )
        assert assert_refusal("POST", path, response, 400, "invalid_input", field)["message"] == message


def test_the_rule_numbers_the_descriptions_quote_are_the_default_rules():
    """The descriptions quote rule numbers for people; domain/rules.py has them. A new default fails here until
    the words follow (and a phrase that matches nothing fails too)."""
    r, text = Rules(code_key=b""), json.dumps(SPEC, ensure_ascii=False)

    def whole(delta, unit: int) -> int:
        return int(delta.total_seconds() // unit)

    minute, hour, day = 60, 3600, 86400
    quoted = {  # a phrase with numbers: the rules they are, wherever the phrase appears
        r"(\d+)-(\d+) characters after NFC": (1, r.nickname_max),
        r"(\d+)-(\d+) characters(?: after NFKC|, not a common)": (r.password_min, r.password_max),
        r"(\d+)-digit": (r.sms_code_length,),
        r"answer is (\d+) characters, case-insensitive, valid for (\d+) minutes": (
            r.captcha_length,
            whole(r.captcha_ttl, minute),
        ),
        r"code valid for (\d+) minutes": (whole(r.sms_code_ttl, minute),),
        r"\b(\d+) s\b": (whole(r.sms_cooldown, 1),),
        r"\((\d+) tries per client address, (\d+) in all": (r.sms_max_attempts_per_client, r.sms_max_attempts),
        r"(\d+) wrong passwords within (\d+) minutes lock the account for (\d+) minutes": (
            r.login_max_failures,
            whole(r.login_failure_window, minute),
            whole(r.lock_duration, minute),
        ),
        r"(\d+) failures lock the operator for (\d+) minutes": (r.login_max_failures, whole(r.lock_duration, minute)),
        r"(?:session for |lasts |expiry \()(\d+) days": (whole(r.remembered_session_lifetime, day),),
        r"(\d+) hours without\) and, without 记住我, active in the last (\d+) minutes": (
            whole(r.browser_session_lifetime, hour),
            whole(r.browser_session_idle_timeout, minute),
        ),
        r"at most every (\d+) minutes": (whole(r.session_touch_interval, minute),),
        r"cool-off \((\d+) days": (whole(r.deletion_cool_off, day),),
        r"at most (\d+) copies in (\d+) minutes": (r.data_copies_per_window, whole(r.data_copy_window, minute)),
        r"\((\d+) hours after sign-in, (\d+) idle minutes": (
            whole(r.operator_session_lifetime, hour),
            whole(r.operator_idle_timeout, minute),
        ),
    }
    for pattern, numbers in quoted.items():
        found = {tuple(map(int, match.groups())) for match in re.finditer(pattern, text)}
        assert found == {numbers}, pattern


# --- the docs page ---------------------------------------------------------------------------------


def test_the_docs_page_loads_only_scripts_and_styles_of_this_origin(client):
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(re.fullmatch(r' src="/static/[^"]+"', attrs) and not text.strip() for attrs, text in scripts)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    unhashed = {re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", asset) for asset in assets}  # content-hashed names
    assert {
        "/static/apidocs/swagger-ui-bundle.js",
        "/static/apidocs/api-docs.js",
        "/static/apidocs/swagger-ui.css",
    } <= unhashed
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    assert not re.search(r"<[^>]*\son\w+\s*=", html), "no inline event handlers either"
    assert client.get("/static/apidocs/LICENSE").status_code == 200


@pytest.mark.slow
@pytest.mark.browser
def test_the_docs_page_renders_under_the_csp_in_chromium(app):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        unavailable("Chromium", "no chromium on PATH; `make browser-deps` installs it")
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    problems, outside = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: None if r.url.startswith((base, "data:")) else outside.append(r.url))
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation', e => "
                "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
            )
            page.goto(f"{base}/api/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            assert page.locator(".opblock").count() == len(list(operations(SPEC)))
            # "Try it out" on a POST: the init script adds the CSRF token, and fetches a new one after it.
            operation = page.locator("#operations-auth-logout")
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            for _ in range(2):  # the second needs the token fetched again: signing out ended the session
                with page.expect_response(lambda r: r.url.endswith("/api/logout")) as answer:
                    operation.locator("button.execute").click()
                assert answer.value.status == 200
                page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        server.shutdown()
    assert problems == [] and outside == []
