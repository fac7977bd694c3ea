"""A small registry that routes API views and describes them in OpenAPI 3.1.

Each view is registered through ``ApiSpec.route``, which adds the URL rule
and records its parameters, body and responses in one place; the document
at /api/v1/openapi.json is generated from those records, and the same query
and body schemas validate what the client sends (see ``validation``). A
route cannot be added without being described, and a test checks the URL map
against the document for any route added another way.

Chosen over apispec + marshmallow: JSON Schema is native to OpenAPI 3.1, so
plain dicts need no translation layer, and the app gains no dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_TEXT = {
    400: "Malformed parameters or body",
    401: "No valid token or session",
    403: "Not allowed for this user",
    404: "No such object among those the user may see",
    409: "The object changed meanwhile or is in the wrong state",
    413: "The upload is too large",
    422: "The input breaks a rule; `fields` says which",
    428: "The request must name the version it decides on (If-Match or `version`)",
    429: "Too many attempts",
}


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI form, relative to the blueprint: /activities/{activity_id}
    endpoint: str
    summary: str
    tag: str
    description: str = ""
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    body_required: bool = True
    multipart: dict[str, Any] | None = None
    responses: dict[int, tuple[str, dict[str, Any] | None]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    public: bool = False
    path_params: tuple[str, ...] = ()


_CONVERTER = re.compile(r"<(?:[^:>]+:)?(\w+)>")
MAX_ID = 2**31 - 1


def openapi_path(rule: str) -> str:
    return _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", rule)


class ApiSpec:
    def __init__(self, blueprint: Blueprint, *, title: str, version: str):
        self.blueprint = blueprint
        self.title = title
        self.version = version
        self.operations: dict[str, Operation] = {}
        self.schemas: dict[str, dict[str, Any]] = {}

    def schema(self, name: str, definition: dict[str, Any]) -> dict[str, str]:
        """Register a named component schema and return a reference to it."""
        self.schemas[name] = definition
        return {"$ref": f"#/components/schemas/{name}"}

    def route(
        self,
        rule: str,
        method: str,
        *,
        summary: str,
        tag: str,
        responses: dict[int, tuple[str, dict[str, Any] | None]],
        description: str = "",
        query: tuple[Param, ...] = (),
        headers: tuple[Param, ...] = (),
        body: dict[str, Any] | None = None,
        body_required: bool = True,
        multipart: dict[str, Any] | None = None,
        errors: tuple[int, ...] = (),
        public: bool = False,
    ) -> Callable:
        def decorator(view: Callable) -> Callable:
            endpoint = f"{self.blueprint.name}.{view.__name__}"
            self.operations[endpoint] = Operation(
                method=method.lower(),
                path=openapi_path(rule),
                endpoint=endpoint,
                summary=summary,
                tag=tag,
                description=description,
                query=query,
                headers=headers,
                body=body,
                body_required=body_required,
                multipart=multipart,
                responses=responses,
                errors=errors,
                public=public,
                path_params=tuple(m.group(1) for m in _CONVERTER.finditer(rule)),
            )
            self.blueprint.add_url_rule(rule, view_func=view, methods=[method])
            return view

        return decorator

    def operation_for(self, endpoint: str | None) -> Operation | None:
        return self.operations.get(endpoint or "")

    # The document ------------------------------------------------------

    def _error_codes(self, op: Operation) -> list[int]:
        codes = set(op.errors)
        if not op.public:
            codes |= {401, 403}
        if op.path_params:
            codes.add(404)
        if op.query or op.body or op.multipart or op.path_params:
            codes.add(400)
        if op.body or op.multipart:
            codes.add(422)
        if op.multipart:
            codes.add(413)
        return sorted(codes)

    def _operation(self, op: Operation) -> dict[str, Any]:
        parameters = (
            [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                }
                for name in op.path_params
            ]
            + [
                {
                    "name": p.name,
                    "in": "query",
                    "required": p.required,
                    "description": p.description,
                    "schema": p.schema,
                }
                for p in op.query
            ]
            + [
                {
                    "name": p.name,
                    "in": "header",
                    "required": p.required,
                    "description": p.description,
                    "schema": p.schema,
                }
                for p in op.headers
            ]
        )
        result: dict[str, Any] = {
            "operationId": op.endpoint.split(".", 1)[1],
            "summary": op.summary,
            "tags": [op.tag],
            "responses": {},
        }
        if op.description:
            result["description"] = op.description
        if parameters:
            result["parameters"] = parameters
        content = {}
        if op.body is not None:
            content["application/json"] = {"schema": op.body}
        if op.multipart is not None:
            content["multipart/form-data"] = {"schema": op.multipart}
        if content:
            result["requestBody"] = {"required": op.body_required, "content": content}
        if op.public:
            result["security"] = []
        for status, (text, schema) in sorted(op.responses.items()):
            response: dict[str, Any] = {"description": text}
            if schema is not None:
                response["content"] = {"application/json": {"schema": schema}}
            result["responses"][str(status)] = response
        for status in self._error_codes(op):
            result["responses"][str(status)] = {
                "description": ERROR_TEXT[status],
                "content": {"application/json": {"schema": ERROR_REF}},
            }
        return result

    def document(self, server_url: str) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations.values():
            paths.setdefault(op.path, {})[op.method] = self._operation(op)
        return {
            "openapi": "3.1.0",
            "info": {
                "title": self.title,
                "version": self.version,
                "description": (
                    "Learning points for university student branches. Authenticate with "
                    "`Authorization: Bearer <token>` (POST /tokens) or the browser session; "
                    "session writes need the X-CSRFToken header. Errors are "
                    '`{"error": {"code", "message", "fields"}}` in the language of '
                    "Accept-Language or the user's setting. Dates are YYYY-MM-DD, times "
                    "ISO 8601 with offset, points numbers with at most one decimal."
                ),
            },
            "servers": [{"url": server_url}],
            "security": [{"bearerAuth": []}, {"sessionCookie": []}],
            "paths": dict(sorted(paths.items())),
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
                },
                "schemas": dict(sorted(self.schemas.items())),
            },
        }
