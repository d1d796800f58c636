"""The same slow web API on asyncio (aiohttp.web): one process holds
thousands of sleeping requests.

    python -m demos.slow_server_async --port 8001 [--rate 5]

Same contract as demos/slow_server.py. A sleeping request costs a
coroutine, not a worker, so nothing caps how many are served at once.
"""
import argparse
import asyncio
import gc
import math
import os
import resource
import socket
import time
from http import HTTPStatus

from aiohttp import web

from demos.slow_server import TokenBucket, is_probe, read_query

# 10,000 clients connect at once: a short accept queue would drop SYNs.
BACKLOG = 4096


async def slow(request):
    start = time.perf_counter()
    try:
        delay, status = read_query(request.query_string)
        body = "This is a slow web api"
    except ValueError as error:
        delay, status = 0, HTTPStatus.BAD_REQUEST
        body = f"bad query: {error}\n"
    await asyncio.sleep(delay)  # waits; the other requests go on meanwhile
    return web.Response(text=body, status=status.value, headers={
        "X-Worker": f"pid {os.getpid()}",
        "X-Server-Start": repr(start),
        "X-Server-End": repr(time.perf_counter()),
    })


def rate_limit(rate):
    """Middleware: beyond `rate` requests per second, 429 with Retry-After
    (one process: the bucket needs no sharing here)."""
    bucket = TokenBucket(rate)

    @web.middleware
    async def limit(request, handler):
        wait = 0 if is_probe(request.query_string) else bucket.take()
        if not wait:
            return await handler(request)
        start = time.perf_counter()
        return web.Response(
            text=f"rate limit: {rate:g} requests per second\n", status=429,
            headers={"Retry-After": str(math.ceil(wait)),
                     "X-Worker": f"pid {os.getpid()}",
                     "X-Server-Start": repr(start),
                     "X-Server-End": repr(time.perf_counter())})
    return limit


def create_app(rate=0):
    app = web.Application(middlewares=[rate_limit(rate)] if rate else [])
    app.router.add_get("/", slow)
    return app


def listening_socket(port, fd=None):
    """An inherited listening socket (`fd`), or a new one on loopback."""
    if fd is not None:
        sock = socket.socket(fileno=fd)
    else:
        sock = socket.create_server(("127.0.0.1", port))
    sock.listen(BACKLOG)
    return sock


def raise_file_limit():
    """Each connection is a file descriptor: allow the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv=None):
    parser = argparse.ArgumentParser(description="The asyncio slow server.")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--fd", type=int, help="an inherited listening socket")
    parser.add_argument("--rate", type=float, default=0,
                        help="requests per second it accepts (0: no limit)")
    args = parser.parse_args(argv)
    raise_file_limit()
    # 10,000 sleeping requests are half a million live objects: by default
    # the cyclic GC rescans them over and over (a fifth of the CPU here).
    gc.set_threshold(50_000, 20, 100)
    sock = listening_socket(args.port, args.fd)
    if args.fd is None:
        print("serving on http://%s:%d/" % sock.getsockname()[:2], flush=True)
    # run_app listens again, with its own backlog (128 unless told)
    app = create_app(max(args.rate, 0))
    web.run_app(app, sock=sock, backlog=BACKLOG, access_log=None,
                shutdown_timeout=1, print=None)


if __name__ == "__main__":
    main()
