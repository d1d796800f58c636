"""The runner as a child process: its process group (signalled, never one we have reaped), its
stdout read as complete lines without blocking forever, and each line checked to be a JSON object
of a known type with fields of the right types before it is relayed."""
import json
import os
import selectors
import signal
import subprocess
import threading
import time
from pathlib import Path

from runner import events

ROOT = Path(__file__).resolve().parent.parent

MAX_LINE = 64 * 1024  # a longer "line" is not ours: drop it rather than grow without bound
MAX_TEXT = 500  # longest string relayed to the audience (error messages, actors)
MAX_BATCH = 2000  # lines relayed together at most
GAP = 0.005  # seconds without a new line that end a burst

def parse_line(line):
    """The event a runner line carries, reduced to its known fields; None if it is not one."""
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return events.check(event, MAX_TEXT)


class LineReader:
    """Complete lines from a pipe, waiting at most a given time for each batch."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)
        self.buffer = b""
        self.eof = False

    def read(self, timeout, linger=0.0, gap=GAP):
        """The lines that arrived within `timeout` seconds (maybe none), and those that follow
        them, each within `gap` of the last, for up to `linger` seconds: a burst is relayed
        together, a lone line at once. Sets `eof` at the end."""
        lines = self.read_once(timeout)
        until = time.monotonic() + linger
        while lines and not self.eof and len(lines) < MAX_BATCH:
            left = min(gap, until - time.monotonic())
            more = self.read_once(left) if left > 0 else []
            if not more:
                break
            lines += more
        return lines

    def read_once(self, timeout):
        """The complete lines of one read, waiting at most `timeout` seconds for it."""
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


class Run:
    """One run: its process and why it was stopped, behind a lock shared with cancel()."""

    def __init__(self, run_id, demo, panel, params):
        self.id, self.demo, self.panel, self.params = run_id, demo, panel, params
        self.lock = threading.Lock()
        self.process = None
        self.reaped = False
        self.reason = None  # "cancelled" | "timeout" once someone stopped it
        self.signalled_at = None
        self.end = None  # the runner's own run_end line
        self.errors = 0
        self.encoder = None  # live.wire.Encoder: its unit and string tables
        self.records = []  # every compact record sent so far, as JSON text (for hellos)
        self.chain = {}  # the numbers of the last of them, per type (live.wire.rechain)
        self.last_seq = None

    def attach(self, process):
        """Own the spawned process; a cancel that came first stops it at once."""
        with self.lock:
            self.process = process
            if self.reason:
                self.signal(signal.SIGTERM)

    def stop(self, reason):
        """Ask the run to end (SIGTERM now, SIGKILL later from the relay thread)."""
        with self.lock:
            if self.reason is None:
                self.reason = reason
                self.signal(signal.SIGTERM)

    def signal(self, signum):
        """Signal the whole process group (lock held); never one we have reaped."""
        if self.process is None or self.reaped:
            return
        if self.signalled_at is None:
            self.signalled_at = time.perf_counter()
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def exited(self):
        """Has the runner exited? Checked without reaping it, so its group id stays ours."""
        return os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) \
            is not None

    def reap(self):
        """Kill whatever is left in the group, then reap the runner; returns its exit code."""
        with self.lock:
            self.signal(signal.SIGKILL)
            code = self.process.wait()  # blocking (briefly: it was SIGKILLed)
            self.reaped = True
        return code


def spawn(argv, stderr):
    """Start the runner in a new session (its own process group) with stdout piped."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)


def tail(stream, limit=300):
    """The end of the runner's stderr, on one line."""
    stream.seek(0)
    text = stream.read().decode("utf-8", "replace").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "no output")[-limit:]
