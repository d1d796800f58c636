"""The one table of run parameters, and their validation at every edge (runner CLI, HTTP,
WebSocket, deck directives).

Everything else is derived from PARAMS: the runner's flags, the catalog's defaults, the panels'
inputs (through GET /api/demos) and the table in docs/ARCHITECTURE.md (checked by a test).
Adding a parameter is one row here plus its use.
"""
import math
from dataclasses import dataclass

INT, NUMBER, CHOICE = "int", "number", "choice"


@dataclass(frozen=True)
class Param:
    """One run parameter: its type, range (or choices), default and meaning."""
    name: str
    kind: str  # INT | NUMBER | CHOICE
    default: object
    meaning: str
    low: float = None
    high: float = None
    choices: tuple = ()
    step: float = 1

    def as_json(self):
        spec = {"name": self.name, "kind": self.kind, "default": self.default,
                "meaning": self.meaning}
        if self.kind == CHOICE:
            return {**spec, "choices": list(self.choices)}
        return {**spec, "min": self.low, "max": self.high, "step": self.step}


PARAMS = {p.name: p for p in [
    Param("n", INT, 3, "requests to send (CPU and server demos: tasks / concurrent requests)",
          1, 10_000),
    Param("workers", INT, 3, "server slots: gunicorn sync workers, or server_pool's pool size",
          1, 32),
    Param("delay", NUMBER, 1.0,
          "seconds the slow server sleeps per request (CPU demos: CPU seconds per task)",
          0.0, 30.0, step=0.05),
    Param("concurrency", INT, 3,
          "client bound k: thread_pool workers, Semaphore(k), Pool(k), CPU workers", 1, 1000),
    Param("fail", INT, 0, "how many of the n URLs answer 500 (at most n)", 0, 10_000),
    Param("server", CHOICE, "gunicorn",
          "slow server to start: gunicorn (W slots) or asyncio (unbounded)",
          choices=("gunicorn", "asyncio")),
    Param("timeout", NUMBER, 60.0,
          "the whole run's time limit in seconds; the demo is killed after it", 1.0, 600.0),
    Param("client_timeout", NUMBER, 2.0,
          "the client's own time limit in seconds (asyncio.timeout, requests' timeout=)",
          0.1, 60.0, step=0.1),
    Param("rate", NUMBER, 0.0,
          "requests per second the slow server accepts, beyond it 429 (0: unlimited); "
          "the paced client's pace", 0.0, 1000.0, step=0.5),
]}

#: Every parameter with its default; a demo overrides some of them.
DEFAULTS = {p.name: p.default for p in PARAMS.values()}


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
            value = int(value.strip()) if kind == INT else float(value.strip())
        except ValueError:
            raise ParamError(f"{name} must be {'an integer' if kind == INT else 'a number'}, "
                             f"got {shown(value)}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"{name} must be a number, got {shown(value)}")
    if not math.isfinite(value):
        raise ParamError(f"{name} must be a finite number, got {shown(value)}")
    if kind == INT:
        if isinstance(value, float) and not value.is_integer():
            raise ParamError(f"{name} must be an integer, got {shown(value)}")
        return int(value)
    return float(value)


def clean(name, value):
    """One parameter, checked for its type and range (ParamError for an unknown name)."""
    spec = PARAMS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ParamError(f"unknown parameter {shown(name)}")
    if spec.kind == CHOICE:
        if value not in spec.choices:
            raise ParamError(f"{name} must be one of {', '.join(spec.choices)}, "
                             f"got {shown(value)}")
        return value
    number = to_number(name, value, spec.kind)
    if not spec.low <= number <= spec.high:
        raise ParamError(f"{name} must be between {spec.low:g} and {spec.high:g}, "
                         f"got {number:g}")
    return number


def fill(defaults, raw=None):
    """`defaults` overridden by the cleaned values of `raw`; None counts as missing."""
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
