"""The slow web API every client talks to: it sleeps, then answers.

    gunicorn -w 3 demos.slow_server:app    # 3 sync workers: 3 at a time

Query: ?delay=1.0 (seconds, clamped to 0-30) and ?status=200. The
X-Server-* headers are the server's side of the trace: which worker served
the request, and when (time.perf_counter(), one clock for all processes).
"""
import math
import os
import time
from http import HTTPStatus
from urllib.parse import parse_qs

MAX_DELAY = 30.0
STATUSES = {status.value for status in HTTPStatus if status >= 200}


def number(query, name, default, kind):
    """A query parameter as a number; ValueError with the reason if not."""
    text = query.get(name, [default])[0]
    try:
        value = kind(text)
    except ValueError:
        reason = f"{name} must be a number, got {text[:20]!r}"
        raise ValueError(reason) from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {text[:20]!r}")
    return value


def read_query(query_string):
    """(delay, status) from a query string; ValueError if either is bad."""
    query = parse_qs(query_string)
    delay = number(query, "delay", "1.0", float)
    status = number(query, "status", "200", int)
    if status not in STATUSES:
        raise ValueError(f"status must be an HTTP status, got {status}")
    return min(max(delay, 0.0), MAX_DELAY), HTTPStatus(status)


def app(environ, start_response):
    start = time.perf_counter()
    try:
        delay, status = read_query(environ.get("QUERY_STRING", ""))
        body = "This is a slow web api"
    except ValueError as error:
        delay, status = 0, HTTPStatus.BAD_REQUEST
        body = f"bad query: {error}\n"
    time.sleep(delay)  # blocking: this worker serves nobody else meanwhile
    data = body.encode()
    start_response(f"{status.value} {status.phrase}", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(data))),
        ("X-Worker", f"pid {os.getpid()}"),
        ("X-Server-Start", repr(start)),
        ("X-Server-End", repr(time.perf_counter())),
    ])
    return [data]
