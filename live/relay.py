"""Reading the runner's stdout: complete lines without blocking forever, and each line checked
to be a JSON object of a known type with fields of the right types before it is relayed."""
import json
import math
import os
import selectors

MAX_LINE = 64 * 1024  # a longer "line" is not ours: drop it rather than grow without bound
MAX_TEXT = 500  # longest string relayed to the audience (error messages, actors)

INT, NUM, STR = "int", "number", "string"
#: type -> {field: (kind, required)}; fields not listed here are not relayed.
FIELDS = {
    "run_start": {},
    "span": {"i": (INT, False), "client_start": (NUM, False), "client_end": (NUM, False),
             "server_start": (NUM, False), "server_end": (NUM, False),
             "worker": (STR, False), "actor": (STR, False)},
    "error": {"i": (INT, False), "message": (STR, True), "client_start": (NUM, False),
              "client_end": (NUM, False), "actor": (STR, False)},
    "run_end": {"total": (NUM, False), "ideal": (NUM, False)},
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


def parse_line(line):
    """The event a runner line carries, reduced to its known fields; None if it is not one."""
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(event, dict) or event.get("type") not in FIELDS:
        return None
    clean = {"type": event["type"]}
    for name, (kind, required) in FIELDS[event["type"]].items():
        value = event.get(name)
        if value is None and not required:
            clean[name] = None
        elif fits(kind, value):
            clean[name] = value[:MAX_TEXT] if kind == STR else value
        else:
            return None
    return clean


class LineReader:
    """Complete lines from a pipe, waiting at most a given time for each batch."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)
        self.buffer = b""
        self.eof = False

    def read(self, timeout):
        """The lines that arrived within `timeout` seconds (maybe none); sets `eof` at the end."""
        if self.eof or not self.selector.select(timeout):  # blocking
            return []
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.eof = True
            chunk = b"\n"  # flush a last line without its newline
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        if len(self.buffer) > MAX_LINE:
            self.buffer = b""
        return [line.decode("utf-8", "replace") for line in lines if line.strip()]

    def close(self):
        self.selector.close()
