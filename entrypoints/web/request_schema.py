"""JSON request bodies, checked against their operation's requestBody schema in openapi.json: the one description
of their shapes (types, required fields, the 256-character transport bound, the checkbox vocabulary). What the
fields must say (a mobile's format, a password's length) is the domain's, checked by the use cases.

The engine is jsonschema-rs (Draft 2020-12): the one schemathesis fuzzes the app with (tests/integration/
test_fuzz.py), so the app and its fuzzer judge a body alike, and compiled Rust: about a microsecond for a sign-in
body, where python-jsonschema takes about 50 (measured beside a 50 ms argon2 verify). Each operation's validator is
compiled once, when this module is imported, so a broken schema stops the app at start.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import cast

import jsonschema_rs
from flask import Request, request
from jsonschema_rs import ValidationErrorKind
from werkzeug.local import LocalProxy

from domain.errors import InvalidInput
from entrypoints.web.openapi import SPEC

CHECKBOX = "#/components/schemas/Checkbox"
# Read once the schema has refused any value outside Ticked and Unticked; `in` compares as its enum does (1.0 is 1).
TICKED = SPEC["components"]["schemas"]["Ticked"]["enum"]


@dataclass(frozen=True)
class BodyShape:
    validator: jsonschema_rs.Validator
    fields: tuple[str, ...]  # the schema's properties, in its order: of several refused fields, the first is named
    checkboxes: frozenset[str]


def _named(schema: dict) -> dict:
    """The component a requestBody's {"$ref": ...} points at."""
    return SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema


def _shapes() -> dict[tuple[str, str], BodyShape]:
    shapes = {}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is None or _named(schema).get("type") != "object":
                continue  # no body, or the SMS providers' receipt arrays (entrypoints/web/sms_receipts.py)
            properties = _named(schema)["properties"]
            # The components ride along, so that "#/components/..." references resolve from the root.
            validator = jsonschema_rs.Draft202012Validator({**schema, "components": SPEC["components"]})
            shapes[method.upper(), path] = BodyShape(
                validator,
                tuple(properties),
                frozenset(name for name, field in properties.items() if field.get("$ref") == CHECKBOX),
            )
    return shapes


SHAPES = _shapes()
PATH_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def body() -> dict:
    """The request's JSON object as its operation describes it: the described fields present, checkboxes as
    booleans (absent: False); unknown fields are left out. Raises InvalidInput naming the first refused field."""
    # The request behind the proxy: the proxy costs microseconds on each use, and sign-in is counted in them.
    asked = cast("LocalProxy[Request]", request)._get_current_object()
    data = asked.get_json(silent=True)  # None for malformed JSON or another content type
    if not isinstance(data, dict):
        raise InvalidInput("json_object")
    assert asked.url_rule is not None  # a route's view is asking
    rule = asked.url_rule.rule
    if "<" in rule:  # a path parameter: Flask's <int:user_id> is OpenAPI's {user_id}
        rule = PATH_PARAMETER.sub(r"{\1}", rule)
    shape = SHAPES[asked.method, asked.script_root + rule]  # the console is under /admin
    fields = {name: data[name] for name in shape.fields if name in data}
    refused = _refused(shape, fields)
    if refused:
        name = next(name for name in shape.fields if name in refused)
        raise InvalidInput("field" if name in shape.checkboxes else "missing_field", field=name, name=name)
    return {**fields, **{name: fields.get(name) in TICKED for name in shape.checkboxes}}


def _refused(shape: BodyShape, fields: dict) -> set[str]:
    unencodable = {name for name, value in fields.items() if not _utf8(value)}
    readable = {name: value for name, value in fields.items() if name not in unencodable}
    return unencodable | {
        error.kind.property if isinstance(error.kind, ValidationErrorKind.Required) else str(error.instance_path[0])
        for error in shape.validator.iter_errors(readable)
    }


def _utf8(value) -> bool:
    """JSON may carry lone surrogates ("\\ud800"), which no UTF-8 text, hash or database column can hold; nor can
    the validator read them (it raises UnicodeEncodeError, when it does notice)."""
    try:
        (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
