"""Every successful answer in the OpenAPI document has a concrete shape, so the types the PWA
generates from it (``mobile_pwa/src/lib/api-schema.d.ts``, docs/contract-testing.md) say what
the screens read. Generated from the served document: every operation, every 2xx answer.

- A 2xx answer other than 204 declares its content type; a JSON one has a schema.
- Inside a JSON answer, every object lists its properties (or the schema of its values, for a
  map), every array its items, every value a type: no ``{}`` and no bare ``type: object``,
  which openapi-typescript turns into ``Record<string, never>`` or ``Record<string, unknown>``
  and a screen reading a field of it is unchecked. An object whose keys are data by nature
  (the arguments of a queued mutation as the phone sent them) says so with ``x-free-form``
  and why.
- A binary answer (PNG, SVG, PDF, a photo) says its media type and ``format: binary``.
"""

from __future__ import annotations

from typing import Any

import pytest

Schema = dict[str, Any]
# apispec's way to say "or null" for a nullable nested schema in OpenAPI 3.0 (anyOf member).
NULL_MARKER = {"type": "object", "nullable": True}


class Walker:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.components: dict[str, Schema] = doc.get("components", {}).get("schemas", {})
        self.problems: list[str] = []

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def walk(self, schema: Schema, where: str, seen: frozenset[str] = frozenset()) -> None:
        ref = schema.get("$ref")
        if ref in seen:  # a recursive schema: already being checked
            return
        seen = seen | {ref} if ref else seen
        schema = self.resolve(schema)
        if schema.get("x-free-form"):
            return
        for key in ("allOf", "oneOf", "anyOf"):
            if key in schema:
                for i, part in enumerate(schema[key]):
                    if part != NULL_MARKER:
                        self.walk(part, f"{where}<{key}[{i}]>", seen)
                return
        kind = schema.get("type")
        if kind == "array":
            if not schema.get("items"):
                self.problems.append(f"{where}: an array without items")
            else:
                self.walk(schema["items"], f"{where}[]", seen)
        elif kind == "object" or (kind is None and "properties" in schema):
            properties = schema.get("properties") or {}
            values = schema.get("additionalProperties")
            if not properties and not (isinstance(values, dict) and values):
                self.problems.append(f"{where}: a free-form object")
            for name, sub in properties.items():
                self.walk(sub, f"{where}.{name}", seen)
            if isinstance(values, dict) and values:
                self.walk(values, f"{where}{{*}}", seen)
        elif kind is None:
            self.problems.append(f"{where}: no type")


def _answers(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            for code, answer in op["responses"].items():
                if code.startswith("2"):
                    found.append((f"{method.upper()} {path} {code}", code, answer))
    return found


@pytest.fixture(scope="module")
def doc(app: Any) -> dict[str, Any]:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def test_every_successful_answer_has_a_concrete_schema(doc: dict[str, Any]) -> None:
    walker = Walker(doc)
    answers = _answers(doc)
    assert len(answers) > 80
    for name, code, answer in answers:
        answer = walker.resolve(answer)
        content = answer.get("content") or {}
        if not content:
            if code != "204":
                walker.problems.append(f"{name}: no content type declared")
            continue
        for media_type, body in content.items():
            schema = body.get("schema")
            if not schema:
                walker.problems.append(f"{name} {media_type}: no schema")
            elif "json" in media_type:
                walker.walk(schema, f"{name}")
            elif walker.resolve(schema).get("type") != "string":
                walker.problems.append(f"{name} {media_type}: not a string/binary schema")
    assert not walker.problems, "\n".join(walker.problems)


def test_the_walker_finds_what_it_must(doc: dict[str, Any]) -> None:
    """The check itself: a free-form object, an array without items and an untyped value are
    found, also behind a $ref; a map of typed values and an explained free-form object pass."""
    walker = Walker({"components": {"schemas": {"Loose": {"type": "object"}}}})
    walker.walk({"$ref": "#/components/schemas/Loose"}, "ref")
    walker.walk({"type": "object", "properties": {"a": {"type": "array"}}}, "arr")
    walker.walk({"type": "object", "properties": {"b": {}}}, "untyped")
    walker.walk({"type": "object", "additionalProperties": {}}, "dict")
    assert walker.problems == [
        "ref: a free-form object",
        "arr.a: an array without items",
        "untyped.b: no type",
        "dict: a free-form object",
    ]
    ok = Walker({})
    ok.walk({"type": "object", "additionalProperties": {"type": "integer"}}, "map")
    ok.walk({"type": "object", "x-free-form": "the mutation's arguments as sent"}, "args")
    assert ok.problems == []


def test_every_operation_documents_its_success(doc: dict[str, Any]) -> None:
    """An operation with no 2xx/3xx in the document has its answer checked against nothing but
    the JSON error: ``GET /metrics`` (Prometheus text) was found that way by schemathesis
    against a running server (undocumented content type)."""
    missing = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method != "parameters" and not any(c[0] in "23" for c in op["responses"])
    ]
    assert not missing, missing
