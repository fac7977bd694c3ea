"""The OpenAPI document and the reference page people read."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from tracker.api.blueprint import api, bp


def document() -> dict[str, Any]:
    return api.document(request.host_url.rstrip("/") + bp.url_prefix)


@api.route(
    "/openapi.json",
    "GET",
    summary="This OpenAPI 3.1 document",
    tag="Documentation",
    responses={200: ("The document", {"type": "object"})},
    public=True,
)
def openapi():
    return document()


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> tuple[str | None, dict]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[1]
        return name, components[name]
    return None, schema


def describe_type(schema: dict[str, Any]) -> str:
    """A short type label for the reference page: "integer", "array of Activity", ..."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " | ".join(describe_type(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    label = " | ".join(kind) if isinstance(kind, list) else kind
    if "array" in label and "items" in schema:
        label = label.replace("array", f"array of {describe_type(schema['items'])}")
    if "format" in schema:
        label += f" ({schema['format']})"
    if "enum" in schema:
        label += ": " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    return label


LIMITS = (
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("multipleOf", "multiple of {}"),
    ("maxItems", "at most {} items"),
    ("pattern", "matches {}"),
    ("default", "default {}"),
)


def describe_limits(schema: dict[str, Any]) -> str:
    """The schema's limits in words, e.g. "at most 120 characters; ≤ 100"."""
    parts = [text.format(schema[key]) for key, text in LIMITS if key in schema]
    if schema.get("minLength") == 1:
        parts[0] = "not empty"
    if schema.get("description"):
        parts.append(schema["description"])
    return "; ".join(parts)


@api.route(
    "/docs",
    "GET",
    summary="This reference as an HTML page",
    tag="Documentation",
    responses={200: ("An HTML page rendered from the document", None)},
    public=True,
)
def reference():
    doc = document()
    return render_template(
        "api/reference.html",
        doc=doc,
        components=doc["components"]["schemas"],
        resolve=_resolve,
        describe_type=describe_type,
        describe_limits=describe_limits,
    )
