"""Validate run parameters at every edge (runner CLI, HTTP, WebSocket).

``validate(demo_id, raw)`` returns every parameter, cleaned, with the demo's defaults filled in.
JSON numbers and strings of numbers (from a command line) are accepted; booleans are not numbers.
"""
import math

from demos.catalog import DEMOS

#: name -> (kind, low, high); `fail` is further bounded by n.
RANGES = {
    "n": (int, 1, 10_000),
    "workers": (int, 1, 32),
    "delay": (float, 0.0, 30.0),
    "concurrency": (int, 1, 1000),
    "fail": (int, 0, 10_000),
    "timeout": (float, 1.0, 600.0),
}
SERVERS = ("gunicorn", "asyncio")


class ParamError(ValueError):
    """A parameter is missing its type or range; the message is one line for the user."""


class UnknownDemo(LookupError):
    """No demo has this id."""


def shown(value):
    """A short, one-line rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_number(name, value, kind):
    """`value` as an int or float, or raise ParamError."""
    if isinstance(value, str):
        try:
            value = int(value.strip()) if kind is int else float(value.strip())
        except ValueError:
            raise ParamError(f"{name} must be {'an integer' if kind is int else 'a number'}, "
                             f"got {shown(value)}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"{name} must be a number, got {shown(value)}")
    if not math.isfinite(value):
        raise ParamError(f"{name} must be a finite number, got {shown(value)}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ParamError(f"{name} must be an integer, got {shown(value)}")
        return int(value)
    return float(value)


def clean(name, value):
    """One parameter, checked for its type and range."""
    if name == "server":
        if value not in SERVERS:
            raise ParamError(f"server must be one of {', '.join(SERVERS)}, got {shown(value)}")
        return value
    kind, low, high = RANGES[name]
    number = to_number(name, value, kind)
    if not low <= number <= high:
        raise ParamError(f"{name} must be between {low:g} and {high:g}, got {number:g}")
    return number


def validate(demo_id, raw=None):
    """Clean parameters for `demo_id`: defaults filled in; None counts as missing.

    Raises UnknownDemo for an unknown id and ParamError for an unknown name, a wrong type or a
    value out of range.
    """
    if not isinstance(demo_id, str) or demo_id not in DEMOS:
        raise UnknownDemo(f"unknown demo {shown(demo_id)}")
    return fill(DEMOS[demo_id].defaults, raw)


def fill(defaults, raw=None):
    """`defaults` overridden by the cleaned values of `raw` (a learner's script uses the base)."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ParamError("parameters must be an object")
    params = dict(defaults)
    for name, value in raw.items():
        if name not in params:
            raise ParamError(f"unknown parameter {shown(name)}")
        if value is not None:
            params[name] = clean(name, value)
    if params["fail"] > params["n"]:
        raise ParamError(f"fail must be between 0 and n ({params['n']}), got {params['fail']}")
    return params
