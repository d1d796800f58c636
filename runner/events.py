"""The one definition of the runner's JSON lines (docs/ARCHITECTURE.md, "The runner's lines").

The runner writes them, the app's relay checks every line against EVENTS before it stores and
broadcasts it, and the tests check the runner's output with `check`.
"""
import math

INT, NUM, STR = "int", "number", "string"

#: type -> {field: (kind, required)}; fields not listed here are not relayed.
EVENTS = {
    "run_start": {},
    "span": {"i": (INT, False), "client_start": (NUM, False), "client_end": (NUM, False),
             "server_start": (NUM, False), "server_end": (NUM, False),
             "worker": (STR, False), "actor": (STR, False), "status": (INT, False)},
    "error": {"i": (INT, False), "message": (STR, True), "client_start": (NUM, False),
              "client_end": (NUM, False), "actor": (STR, False), "status": (INT, False)},
    "run_end": {"total": (NUM, False), "ideal": (NUM, False)},
    # runner/sampler.py: one actor's share of a core over [t - dt, t] (busy = CPU s / wall s)
    "cpu": {"t": (NUM, True), "actor": (STR, True), "busy": (NUM, True), "dt": (NUM, True)},
    # runner/loopprobe.py: how late the event loop's timer is at t, and requests in flight
    "loop": {"t": (NUM, True), "lag": (NUM, True), "in_flight": (INT, True)},
}


def fits(kind, value):
    """Does `value` have the field kind `kind` (booleans are not numbers)?"""
    if isinstance(value, bool):
        return False
    if kind == INT:
        return isinstance(value, int)
    if kind == NUM:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, str)


def check(event, max_text=None):
    """`event` reduced to its known fields (missing optional ones as None), or None when it is
    not a runner event of a known type with fields of the right kinds."""
    if not isinstance(event, dict) or event.get("type") not in EVENTS:
        return None
    clean = {"type": event["type"]}
    for name, (kind, required) in EVENTS[event["type"]].items():
        value = event.get(name)
        if value is None and not required:
            clean[name] = None
        elif fits(kind, value):
            clean[name] = value[:max_text] if kind == STR and max_text else value
        else:
            return None
    return clean
