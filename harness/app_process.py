"""The real deck app as a child process: `python app.py --port 0 ...` on loopback, its URL
(from the `Serving on http://HOST:PORT` line it prints when ready) and its merged output.
Shared by the tests' fixtures and the benchmarks. `with AppProcess(...).start() as app:` stops
it at the end of the block."""
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_DEADLINE = 60.0
STOP_DEADLINE = 30.0


class AppProcess:
    """One running `python app.py`, its URL and its merged stdout/stderr."""

    def __init__(self, args, instance, token):
        self.args, self.instance, self.token = list(args), Path(instance), token
        self.process = None
        self.url = None
        self.output = []
        self.lines = queue.Queue()

    def start(self, deadline=START_DEADLINE):
        """Start it and wait for `Serving on http://HOST:PORT`."""
        command = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", "0",
                   "--instance", str(self.instance), "--presenter-token", self.token, *self.args]
        self.output, self.lines = [], queue.Queue()
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, encoding="utf-8", errors="replace")
        threading.Thread(target=self.drain, args=(self.process, self.lines), daemon=True).start()
        self.url = self.wait_for_line("Serving on ", deadline).split("Serving on ", 1)[1].strip()
        return self

    def drain(self, process, lines):
        """Keep reading the app's output so it never blocks on a full pipe."""
        with process.stdout:
            for line in process.stdout:
                self.output.append(line)
                lines.put(line)
        lines.put(None)

    def wait_for_line(self, needle, deadline):
        give_up = time.monotonic() + deadline
        while (left := give_up - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if needle in line:
                return line
        self.kill()
        raise RuntimeError(f"app did not print {needle!r}:\n{''.join(self.output)[-3000:]}")

    def stop(self, signum=signal.SIGTERM):
        """Stop it with `signum` and wait; returns its exit status."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signum)
        try:
            return process.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise RuntimeError(f"app did not stop on {signum!r}:\n{''.join(self.output)[-3000:]}")

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.stop()

    @property
    def ws_url(self):
        return "ws" + self.url[len("http"):] + "/ws"

    @property
    def presenter_url(self):
        return f"{self.url}/presenter?token={self.token}"

    @property
    def pid(self):
        return self.process.pid
