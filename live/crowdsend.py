"""The crowd's requests go out from a child process of their own (`python -m live.crowdsend`),
like a run's from the runner: one asyncio event loop there sends each tap's one real HTTP request
with aiohttp, so 300 taps at once cost the app's threads (and its GIL) a line each, never a
WebSocket handler's wait. Each request is timed as the runner's tracer times a run's: client
start and end in the child (time.perf_counter, one clock for every process), server start, end
and worker from the slow server's X-Server-Start, X-Server-End and X-Worker headers.

Lines on the child's stdin: {"op": "send", "id", "key", "url"}, {"op": "cancel", "id"},
{"op": "forget", "key"}; on its stdout one JSON result per request: {"id", client_start, ...}.
"""
import argparse
import asyncio
import itertools
import json
import logging
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp

from runner.trace import describe, header_time

ROOT = Path(__file__).resolve().parent.parent
STOPPED = "no answer: the crowd's sender stopped"
log = logging.getLogger(__name__)


class Handle:
    """What Sender.send returns: cancel() abandons the request (its result says so)."""

    def __init__(self, sender, rid):
        self.sender, self.rid = sender, rid

    def cancel(self):
        self.sender.write({"op": "cancel", "id": self.rid})


class Sender:
    """The parent's side: `send(key, url, done)` from any thread, never blocking; `done(result)`
    runs on the reader thread. The child starts at the first send and again if it died."""

    def __init__(self, timeout=600.0):
        self.timeout = timeout
        self.lock = threading.Lock()
        self.ids = itertools.count()
        self.pending = {}  # id -> done
        self.process = None
        self.outbox = None

    def send(self, key, url, done):
        with self.lock:
            rid = next(self.ids)
            self.pending[rid] = done
            self.ensure_child()
            self.outbox.put({"op": "send", "id": rid, "key": key, "url": url})
        return Handle(self, rid)

    def start(self):
        """Start the child now (a round opening), so no tap waits for it."""
        with self.lock:
            self.ensure_child()

    def write(self, message):
        with self.lock:
            if self.outbox is not None:
                self.outbox.put(message)

    def forget(self, key):
        self.write({"op": "forget", "key": key})

    def ensure_child(self):
        """Start the child if it is not running (lock held)."""
        if self.process is not None and self.process.poll() is None:
            return
        self.process = subprocess.Popen(
            [sys.executable, "-m", "live.crowdsend", "--timeout", f"{self.timeout:g}"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        self.outbox = queue.SimpleQueue()
        threading.Thread(target=self.feed, args=(self.process, self.outbox),
                         name="crowd-sender-in", daemon=True).start()
        threading.Thread(target=self.read, args=(self.process,), name="crowd-sender-out",
                         daemon=True).start()

    def feed(self, process, outbox):
        """Write queued lines to the child (blocking here, never in a handler)."""
        while (message := outbox.get()) is not None:  # blocking
            try:
                process.stdin.write(json.dumps(message).encode() + b"\n")
                process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return

    def read(self, process):
        """Results from the child; when it ends, every request still pending fails."""
        for line in process.stdout:  # blocking
            try:
                result = json.loads(line)
                done = self.pending_done(result.pop("id"))
            except (ValueError, KeyError, AttributeError):
                log.warning("crowd sender: ignored a line that is not a result: %.200s", line)
                continue
            if done is not None:
                done(result)
        process.wait()
        with self.lock:
            if self.process is process:
                lost, self.pending = self.pending, {}
            else:
                lost = {}
        now = time.perf_counter()
        for done in lost.values():
            done({"client_start": None, "client_end": now, "error": STOPPED})

    def pending_done(self, rid):
        with self.lock:
            return self.pending.pop(rid, None)

    def close(self):
        with self.lock:
            process, outbox = self.process, self.outbox
            self.outbox = None
        if process is None:
            return
        outbox.put(None)
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(5)  # blocking
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- the child
class Client:
    """The child's event loop side: sessions by round, requests by id."""

    def __init__(self, timeout, out):
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.out = out
        self.sessions = {}
        self.tasks = {}

    def session(self, key):
        if key not in self.sessions:
            # limit=0: every tap is on the wire at once, so the queue forms at the server
            self.sessions[key] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), timeout=self.timeout)
        return self.sessions[key]

    def handle(self, message):
        op = message.get("op")
        if op == "send":
            task = asyncio.ensure_future(self.fetch(message["id"], message["key"], message["url"]))
            self.tasks[message["id"]] = task
            task.add_done_callback(lambda _t, rid=message["id"]: self.tasks.pop(rid, None))
        elif op == "cancel" and message.get("id") in self.tasks:
            self.tasks[message["id"]].cancel()
        elif op == "forget":
            session = self.sessions.pop(message.get("key"), None)
            if session is not None:
                asyncio.ensure_future(session.close())

    def reply(self, rid, result):
        self.out.write(json.dumps({"id": rid, **result}) + "\n")
        self.out.flush()

    async def fetch(self, rid, key, url):
        start = time.perf_counter()
        try:
            async with self.session(key).get(url) as response:
                await response.read()
                end = time.perf_counter()
                headers = response.headers
                error = None if response.status < 400 else f"HTTP {response.status} from {url}"
                self.reply(rid, {"client_start": start, "client_end": end,
                                 "server_start": header_time(headers, "X-Server-Start"),
                                 "server_end": header_time(headers, "X-Server-End"),
                                 "worker": headers.get("X-Worker"), "error": error})
        except asyncio.CancelledError:
            self.reply(rid, {"client_start": start, "client_end": time.perf_counter(),
                             "error": "cancelled: the round ended before the answer"})
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            error = "timed out" if isinstance(exc, asyncio.TimeoutError) else describe(exc, url)
            self.reply(rid, {"client_start": start, "client_end": time.perf_counter(),
                             "error": error})

    async def close(self):
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        for session in self.sessions.values():
            await session.close()


async def serve(timeout):
    client = Client(timeout, sys.stdout)
    reader = asyncio.StreamReader(limit=1 << 20)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            client.handle(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a line the parent writes
    await client.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Send crowd requests (the app starts this).")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.timeout))


if __name__ == "__main__":
    main()
