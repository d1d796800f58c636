"""The slow web API every client talks to: it sleeps, then answers.

    gunicorn -w 3 demos.slow_server:app    # 3 sync workers: 3 at a time
    gunicorn -w 3 --preload 'demos.slow_server:create_app(rate=5)'

Query: ?delay=1.0 (seconds, clamped to 0-30) and ?status=200. The
X-Server-* headers are the server's side of the trace: which worker served
the request, and when (time.perf_counter(), one clock for all processes).
With a `rate`, it is a rate-limited API: beyond `rate` requests per second
it answers 429 Too Many Requests at once, with Retry-After.
"""
import math
import multiprocessing
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
    return respond(start_response, status, body, start)


def respond(start_response, status, body, start, headers=()):
    data = body.encode()
    start_response(f"{status.value} {status.phrase}", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(data))),
        ("X-Worker", f"pid {os.getpid()}"),
        ("X-Server-Start", repr(start)),
        ("X-Server-End", repr(time.perf_counter())),
        *headers,
    ])
    return [data]


class TokenBucket:
    """At most `rate` requests per second, in bursts of up to `rate`.

    The limit is the server's, not each worker's, and gunicorn serves from
    several processes: the bucket's two numbers live in shared memory that
    gunicorn's master allocates before it forks the workers (--preload),
    behind a process-shared lock. A lock held for a few arithmetic steps
    per request is the simplest correct design at an API's rates.
    """

    def __init__(self, rate, clock=time.monotonic):  # one clock system-wide
        self.rate, self.capacity, self.clock = rate, max(1.0, rate), clock
        self.state = multiprocessing.RawArray("d", [self.capacity, clock()])
        self.lock = multiprocessing.Lock()

    def take(self):
        """0 if a request may go now, else the seconds until one may."""
        with self.lock:
            tokens, stamp = self.state
            now = self.clock()
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            if tokens >= 1:
                self.state[:] = [tokens - 1, now]
                return 0.0
            self.state[:] = [tokens, now]
            return (1 - tokens) / self.rate


def is_probe(query_string):
    """runner/serve.py's readiness probes are not the API's traffic."""
    return "probe=1" in query_string.split("&")


def create_app(rate=0):
    """The app, rate-limited to `rate` requests per second (0: no limit)."""
    if not rate:
        return app
    bucket = TokenBucket(float(rate))

    def limited(environ, start_response):
        query = environ.get("QUERY_STRING", "")
        wait = 0 if is_probe(query) else bucket.take()
        if wait:  # answered at once: the client must slow down
            return respond(start_response, HTTPStatus.TOO_MANY_REQUESTS,
                           f"rate limit: {rate:g} requests per second\n",
                           time.perf_counter(),
                           [("Retry-After", str(math.ceil(wait)))])
        return app(environ, start_response)
    return limited
