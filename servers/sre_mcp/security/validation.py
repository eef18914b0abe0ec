"""Arguments checked against the tool's own JSON schema before the tool runs.

Unknown keys are refused (a typo must not silently become a default); numbers
outside a bound are clamped to it and the result says so (asking for 5000 log lines
gets 1000, not an error); everything else is validated with a message naming the
argument, not a pydantic dump.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator


class ArgumentError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


_VALIDATORS: dict[int, Draft202012Validator] = {}


def check_arguments(schema: dict[str, Any], arguments: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Returns (arguments to use, {name: [asked, used]} for clamped numbers)."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ArgumentError(f"arguments must be an object, not {type(arguments).__name__}")
    props: dict[str, Any] = schema.get("properties") or {}
    unknown = sorted(set(arguments) - set(props))
    if unknown:
        raise ArgumentError(
            f"unknown argument{'s' if len(unknown) > 1 else ''}: {', '.join(map(repr, unknown))}",
            hint="accepted arguments: " + (", ".join(props) or "none"),
        )
    fixed = dict(arguments)
    clamped: dict[str, Any] = {}
    for name, value in arguments.items():
        spec = props[name]
        numeric = spec if spec.get("type") in ("integer", "number") else next(
            (s for s in spec.get("anyOf", []) if s.get("type") in ("integer", "number")), None
        )
        if numeric is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        lo, hi = numeric.get("minimum"), numeric.get("maximum")
        new = value
        if lo is not None and value < lo:
            new = lo
        if hi is not None and value > hi:
            new = hi
        if numeric.get("type") == "integer" and isinstance(new, float) and new.is_integer():
            new = int(new)
        if new != value:
            fixed[name] = new
            clamped[name] = [value, new]
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        validator = _VALIDATORS[id(schema)] = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(fixed), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.path) or "arguments"
        message = err.message
        if len(message) > 200:
            message = message[:200] + "…"
        enum = (props.get(where) or {}).get("enum") or next(
            (s.get("enum") for s in (props.get(where) or {}).get("anyOf", []) if s.get("enum")), None
        )
        hint = ("allowed values: " + ", ".join(map(str, enum))) if enum else (props.get(where) or {}).get("description")
        raise ArgumentError(f"invalid argument {where!r}: {message}", hint=hint)
    return fixed, clamped
