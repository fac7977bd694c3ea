"""Checking query strings and bodies against the schemas the document publishes.

Supports the part of JSON Schema the API uses: type (one or a list, "null"
included), enum, minimum/maximum, multipleOf, exclusiveMinimum, minLength/maxLength,
pattern, format "date" and "date-time" (with an offset), items/maxItems/uniqueItems, required and
additionalProperties false. Values come back parsed: dates as ``date``,
numbers as exact ``Decimal`` or ``int``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from tracker.api.errors import BadRequest, Unprocessable
from tracker.api.spec import Operation
from tracker.limits import FIRST_DAY, LAST_DAY

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})$"
)
# Times far from now are mistakes, and near the ends of the calendar
# arithmetic on them (a window before the start) would overflow.
YEARS = range(1970, 3000)
NOT_GIVEN = object()


class _Invalid(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", [])
    return kind if isinstance(kind, list) else [kind]


def _check_number(schema: dict[str, Any], value):
    if "minimum" in schema and value < schema["minimum"]:
        raise _Invalid(_l("At least %(n)s.", n=schema["minimum"]))
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        raise _Invalid(_l("Must be more than %(n)s.", n=schema["exclusiveMinimum"]))
    if "maximum" in schema and value > schema["maximum"]:
        raise _Invalid(_l("At most %(n)s.", n=schema["maximum"]))
    if "multipleOf" in schema and Decimal(value) % Decimal(str(schema["multipleOf"])) != 0:
        raise _Invalid(_l("At most one decimal place."))
    return value


def _check_string(schema: dict[str, Any], value: str):
    # PostgreSQL cannot store NUL in text; refused here rather than failing there.
    if "\x00" in value:
        raise _Invalid(_l("Contains a character that is not allowed."))
    if len(value) < schema.get("minLength", 0):
        raise _Invalid(_l("Please fill this in."))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise _Invalid(_l("At most %(n)d characters.", n=schema["maxLength"]))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise _Invalid(_l("Not in the expected form."))
    if schema.get("format") == "date":
        try:
            if not DATE.match(value):
                raise ValueError(value)
            day = date.fromisoformat(value)
        except ValueError:
            raise _Invalid(_l("A date as YYYY-MM-DD, please.")) from None
        # At the calendar's ends a period's end (a day later) would overflow.
        if not FIRST_DAY <= day <= LAST_DAY:
            first, last = FIRST_DAY.isoformat(), LAST_DAY.isoformat()
            raise _Invalid(_l("A day from %(first)s to %(last)s, please.", first=first, last=last))
        return day
    if schema.get("format") == "date-time":
        return _moment(value)
    return value


def _moment(value: str) -> datetime:
    """An ISO 8601 time with its offset, in UTC; a time without offset is ambiguous."""
    try:
        if not DATE_TIME.match(value):
            raise ValueError(value)
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        if moment.year not in YEARS:
            raise ValueError(value)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Invalid(_l("A time as ISO 8601 with an offset, please.")) from None


def check_value(schema: dict[str, Any], value: Any) -> Any:
    """The value parsed by ``schema``; raises _Invalid with a message for the user."""
    types = _types(schema)
    if value is None:
        if "null" in types:
            return None
        raise _Invalid(_l("Please fill this in."))
    if "enum" in schema and value not in schema["enum"]:
        raise _Invalid(_l("Choose one of: %(values)s.", values=", ".join(map(str, schema["enum"]))))
    if isinstance(value, bool):
        if "boolean" in types:
            return value
    elif isinstance(value, int | Decimal) and ("integer" in types or "number" in types):
        if "integer" in types and value == int(value):
            return _check_number(schema, int(value))
        if "number" in types:
            return _check_number(schema, Decimal(value))
        raise _Invalid(_l("A whole number, please."))
    elif isinstance(value, str) and "string" in types:
        return _check_string(schema, value)
    elif isinstance(value, list) and "array" in types:
        if len(value) > schema.get("maxItems", len(value)):
            raise _Invalid(_l("At most %(n)d items.", n=schema["maxItems"]))
        items = [check_value(schema.get("items", {}), item) for item in value]
        if schema.get("uniqueItems") and len(set(map(str, items))) != len(items):
            raise _Invalid(_l("Each item only once, please."))
        return items
    raise _Invalid(_l("This is not the expected kind of value."))


def check_object(schema: dict[str, Any], data: Any, error=Unprocessable) -> dict[str, Any]:
    """Check a JSON object field by field; every problem is reported at once."""
    if not isinstance(data, dict):
        raise BadRequest({"body": _l("The body must be a JSON object.")})
    properties = schema.get("properties", {})
    errors: dict[str, object] = {}
    result: dict[str, Any] = {}
    for name in data:
        if name not in properties and schema.get("additionalProperties") is False:
            # Refused rather than ignored: a client sending points, status,
            # branch_id or role learns at once that it cannot set them.
            errors[name] = _l("This field cannot be set.")
    for name, sub in properties.items():
        if name not in data:
            if name in schema.get("required", ()):
                errors[name] = _l("Please fill this in.")
            continue
        try:
            result[name] = check_value(sub, data[name])
        except _Invalid as invalid:
            errors[name] = invalid.message
    if errors:
        raise error(errors)
    return result


def _refuse_constant(name: str):
    raise ValueError(name)


def json_body(op: Operation) -> dict[str, Any]:
    """The request's JSON object, checked against the operation's body schema.

    Numbers are parsed as exact decimals; NaN and Infinity are refused.
    """
    if not request.is_json:
        raise BadRequest({"body": _l("Send the body as application/json.")})
    try:
        data = json.loads(
            request.get_data(as_text=True) or "null",
            parse_float=Decimal,
            parse_constant=_refuse_constant,
        )
    except (ValueError, RecursionError):
        raise BadRequest({"body": _l("The body is not valid JSON.")}) from None
    return check_object(op.body, data)


def _is_file(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "binary" or schema.get("items", {}).get("format") == "binary"


def form_body(op: Operation) -> dict[str, Any]:
    """A multipart form's fields, converted to JSON values by the schema, then checked.

    File fields are left to the view (request.files); here they only count as given.
    """
    schema = op.multipart or {}
    files = {n for n, sub in schema.get("properties", {}).items() if _is_file(sub)}
    fields_schema = {
        **schema,
        "properties": {n: s for n, s in schema.get("properties", {}).items() if n not in files},
        "required": [n for n in schema.get("required", ()) if n not in files],
    }
    missing = {
        n: _l("Choose at least one file.")
        for n in schema.get("required", ())
        if n in files and not any(f.filename for f in request.files.getlist(n))
    }
    if missing:
        raise Unprocessable(missing)
    data: dict[str, Any] = {}
    for name, sub in fields_schema["properties"].items():
        if name not in request.form:
            continue
        if "array" in _types(sub):
            values = [v for raw in request.form.getlist(name) for v in raw.split(",") if v.strip()]
            data[name] = [_from_text(sub.get("items", {}), v.strip()) for v in values]
        else:
            data[name] = _from_text(sub, request.form[name])
    for name in request.form:
        if name not in data and name not in fields_schema["properties"]:
            data[name] = request.form[name]
    return check_object(fields_schema, data)


def _from_text(schema: dict[str, Any], raw: str) -> Any:
    types = _types(schema)
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "integer" in types and re.fullmatch(r"-?\d{1,12}", raw):
        return int(raw)
    if "number" in types and re.fullmatch(r"-?\d{1,12}(\.\d+)?", raw):
        return Decimal(raw)
    return raw


def query_args(op: Operation) -> dict[str, Any]:
    """The operation's query parameters, parsed; a malformed one is a 400."""
    errors: dict[str, object] = {}
    result: dict[str, Any] = {}
    for param in op.query:
        raw = request.args.get(param.name)
        if raw is None:
            if param.required:
                errors[param.name] = _l("Please fill this in.")
            elif "default" in param.schema:
                result[param.name] = param.schema["default"]
            continue
        try:
            result[param.name] = check_value(param.schema, _from_text(param.schema, raw))
        except _Invalid as invalid:
            errors[param.name] = invalid.message
    if errors:
        raise BadRequest(errors)
    return result
