"""The crowd's requests go out from a child process of their own (live/crowdchild.py),
like a run's from the runner: one asyncio event loop there sends each tap's one real HTTP request
with aiohttp, so 300 taps at once cost the app's threads (and its GIL) a line each, never a
WebSocket handler's wait. Each request is timed as the runner's tracer times a run's: client
start and end in the child (time.perf_counter, one clock for every process), server start, end
and worker from the slow server's X-Server-Start, X-Server-End and X-Worker headers.

Lines on the child's stdin: {"op": "send", "id", "key", "url"}, {"op": "cancel", "id"},
{"op": "forget", "key"}; on its stdout one JSON result per request: {"id", client_start, ...}.
"""
import itertools
import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "crowdchild.py"  # run as a script: no app imports
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
            [sys.executable, "-P", str(CHILD), "--timeout", f"{self.timeout:g}"], cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, start_new_session=True)
        self.outbox = queue.SimpleQueue()
        threading.Thread(target=self.feed, args=(self.process, self.outbox),
                         name="crowd-sender-in", daemon=True).start()
        threading.Thread(target=self.read, args=(self.process,), name="crowd-sender-out",
                         daemon=True).start()

    def feed(self, process, outbox):
        """Write queued lines to the child (blocking here, never in a handler)."""
        while (message := outbox.get()) is not None:  # blocking
            lines = [message]
            while not outbox.empty() and lines[-1] is not None:  # a burst: one write for all
                lines.append(outbox.get())
            try:
                process.stdin.write(b"".join(json.dumps(m).encode() + b"\n"
                                             for m in lines if m is not None))
                process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return
            if lines[-1] is None:
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
