"""Trace every request a demo makes, without touching the demo's code.

Hooks: requests at `Session.send` (its one choke point), aiohttp through a `TraceConfig` added to
every ClientSession, CPU tasks through `TracedTask`. Each hook reports a *start* and an *end*
message to a sink: in the runner's process a direct call; in a child process (fork, spawn or
forkserver alike) a datagram to the runner's Unix socket named in $RUNNER_TRACE_SOCKET. Children
started by spawn/forkserver install the hooks from runner/_boot/sitecustomize.py at start-up.
"""
import itertools
import json
import os
import re
import socket
import sys
import threading
import time

from runner import loopprobe

ENV_SOCKET = "RUNNER_TRACE_SOCKET"

_keys = itertools.count()
_flying = [0]  # requests begun and not ended, under _flying_lock
_flying_lock = threading.Lock()
_sink = None
_sink_pid = None
_sink_lock = threading.Lock()


def use_sink(handler):
    """Send this process's messages to `handler(message)` (the runner's collector)."""
    global _sink, _sink_pid
    _sink, _sink_pid = handler, os.getpid()


class SocketSink:
    """Messages from a child process: one datagram each to the runner's socket."""

    def __init__(self, address):
        self.address = address.replace("@", "\0", 1) if address.startswith("@") else address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    def __call__(self, message):
        try:
            self.sock.sendto(json.dumps(message).encode(), self.address)  # blocking if it lags
        except OSError:
            pass  # the runner is gone: tracing must never break the demo


def send(message):
    global _sink, _sink_pid
    if _sink_pid != os.getpid():  # a child: forked (inherited the runner's sink) or spawned
        with _sink_lock:
            if _sink_pid != os.getpid():
                address = os.environ.get(ENV_SOCKET)
                _sink, _sink_pid = (SocketSink(address) if address else None), os.getpid()
    if _sink is not None:
        _sink(message)


def in_flight():
    """Requests (or tasks) of this process that began and have not ended yet."""
    return _flying[0]


def count_flying(step):
    with _flying_lock:
        _flying[0] += step


def forget_flying():
    """In a forked child: the parent's requests are not ours, and its lock may have been held."""
    global _flying_lock
    _flying[0], _flying_lock = 0, threading.Lock()


os.register_at_fork(after_in_child=forget_flying)


def announce():
    """A child tells the runner its pid (after a fork, or at start-up): one datagram on a socket
    of its own (a lock held in the parent at fork time must not be needed here)."""
    address = os.environ.get(ENV_SOCKET)
    if not address:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(json.dumps({"e": "proc", "pid": os.getpid()}).encode(),
                        address.replace("@", "\0", 1) if address.startswith("@") else address)
        except OSError:
            pass  # the runner is gone: tracing must never break the demo


def actor():
    """Who sends: the asyncio task's name inside a task, else the thread's name."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            return asyncio.current_task().get_name()
        except (RuntimeError, AttributeError):  # no running loop, or not inside a task
            pass
    return threading.current_thread().name


def begin():
    """Report that a request (or task) starts; returns its key and start time."""
    key = f"{os.getpid()}:{next(_keys)}"
    count_flying(1)
    send({"e": "start", "k": key, "pid": os.getpid()})
    return key, time.perf_counter()


def header_time(headers, name):
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None  # not our slow server: only the client side is known


def finish(key, start, who, url=None, status=None, headers=None, error=None):
    """Report that a request (or task) ended, with the server's side when it told us."""
    end = time.perf_counter()
    count_flying(-1)
    if error is None and status is not None and status >= 400:
        error = f"HTTP {status} from {url}"
    headers = headers or {}
    send({"e": "end", "k": key, "pid": os.getpid(), "actor": who, "cs": start, "ce": end,
          "ss": header_time(headers, "X-Server-Start"), "se": header_time(headers, "X-Server-End"),
          "w": headers.get("X-Worker"), "err": error, "st": status})


def describe(error, url):
    """One line for a failed request: the innermost cause (e.g. 'Connection refused')."""
    cause, seen = error, set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and (cause.errno or cause.strerror):
            reason = os.strerror(cause.errno) if cause.errno else cause.strerror
            return f"{type(error).__name__}: {reason} ({url})"
        cause = cause.__cause__ or cause.__context__ or getattr(cause, "reason", None)
    text = str(error).splitlines()[0][:160] if str(error) else ""
    errno = re.search(r"\[Errno \d+\] ([\w ]+)", str(error))  # a cause lost on the way back
    text = errno.group(1) if errno else text
    return f"{type(error).__name__}{': ' + text if text else ''} ({url})"


def patch_requests(requests):
    original = requests.Session.send
    if getattr(original, "traced", False):
        return

    def traced_send(self, request, **kwargs):
        key, start = begin()
        try:
            response = original(self, request, **kwargs)
        except Exception as error:
            finish(key, start, actor(), error=describe(error, request.url))
            raise
        finish(key, start, actor(), request.url, response.status_code, response.headers)
        return response

    traced_send.traced = True
    requests.Session.send = traced_send


async def on_request_start(session, context, params):
    context.key, context.start = begin()
    context.actor = actor()


async def on_request_end(session, context, params):
    response = params.response
    finish(context.key, context.start, context.actor, str(params.url), response.status,
           response.headers)


async def on_request_exception(session, context, params):
    error = describe(params.exception, params.url)
    finish(context.key, context.start, context.actor, error=error)


def patch_aiohttp(aiohttp):
    original = aiohttp.ClientSession.__init__
    if getattr(original, "traced", False):
        return
    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_request_start)
    config.on_request_end.append(on_request_end)
    config.on_request_exception.append(on_request_exception)

    def traced_init(self, *args, trace_configs=None, **kwargs):
        original(self, *args, trace_configs=[*(trace_configs or ()), config], **kwargs)

    traced_init.traced = True
    aiohttp.ClientSession.__init__ = traced_init


class TracedTask:
    """Wraps a module-level function so each call is traced; picklable, so it crosses to a Pool."""

    def __init__(self, func):
        self.func = func

    def __call__(self, *args):
        key, start = begin()
        try:
            result = self.func(*args)
        except Exception as error:
            finish(key, start, actor(), error=f"{type(error).__name__}: {error}")
            raise
        finish(key, start, actor())
        return result


PATCHES = {"requests": patch_requests, "aiohttp": patch_aiohttp, "asyncio": loopprobe.patch}


class PatchOnImport:
    """A meta-path finder that patches requests/aiohttp right after they are first imported."""

    def __init__(self, names):
        self.pending = set(names)

    def find_spec(self, name, path=None, target=None):
        if name not in self.pending:
            return None
        self.pending.discard(name)
        spec = next(filter(None, (finder.find_spec(name, path, target) for finder in sys.meta_path
                                  if finder is not self and hasattr(finder, "find_spec"))), None)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                PATCHES[name](module)
            spec.loader.exec_module = exec_module
        return spec


def install_hooks():
    """Patch requests, aiohttp and asyncio now if imported, else as soon as they are."""
    later = [name for name in PATCHES if name not in sys.modules]
    for name in PATCHES:
        if name in sys.modules:
            PATCHES[name](sys.modules[name])
    if later:
        sys.meta_path.insert(0, PatchOnImport(later))
