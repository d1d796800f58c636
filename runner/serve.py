"""Start and stop the slow servers: real gunicorn (W sync workers) or the asyncio server.

    with start_gunicorn(workers=3) as server:
        requests.get(server.url + "?delay=1")

Each server gets a free loopback port (a socket bound to port 0 here and inherited by the server),
is waited on until it answers, and is stopped cleanly: SIGTERM, a short wait, then SIGKILL.
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKLOG = 4096
MAX_DELAY = 30  # the slow server's longest sleep; gunicorn must not kill a worker before it


class ServerError(RuntimeError):
    """A slow server did not start (the message carries the end of its log)."""


class Server:
    """A running slow server: `url`, `alive()`, `stop()`; a context manager that stops it."""

    def __init__(self, name, process, port, log):
        self.name, self.process, self.port, self.log = name, process, port, log
        self.url = f"http://127.0.0.1:{port}/"

    def __repr__(self):
        return f"<Server {self.name} {self.url} pid {self.process.pid}>"

    def alive(self):
        """True while the server process runs (it may still be busy)."""
        return self.process.poll() is None

    def stop(self, grace=5.0):
        """SIGTERM the server and its workers, wait up to `grace` seconds, then SIGKILL them."""
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(grace)  # blocking
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.process.wait()  # blocking
        self.signal(signal.SIGKILL)  # workers left behind by a dead master, if any
        self.log.close()

    def signal(self, signum):
        try:
            os.killpg(self.process.pid, signum)  # the server leads its own process group
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def loopback_socket(port=0):
    """A listening socket on loopback (port 0: a free one), to be inherited by the server."""
    sock = socket.create_server(("127.0.0.1", port), backlog=BACKLOG)
    sock.set_inheritable(True)
    return sock


def clean_env():
    """Our environment without the tracer's variables: servers are never traced."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_TRACE")}
    env["PYTHONPATH"] = str(ROOT)
    return env


#: Every server is started from this one thread, which lives as long as the process: the
#: kernel's PR_SET_PDEATHSIG fires when the thread that forked exits, so a server started from a
#: short-lived thread (a run's, a crowd round's) would be stopped with it.
SPAWNER = ThreadPoolExecutor(1, thread_name_prefix="server-spawner")


def tethered(command):
    """`command` under runner/lifeline.py: it gets SIGTERM if we die, even by SIGKILL."""
    return [sys.executable, "-m", "runner.lifeline", str(os.getpid()), "--", *command]


def launch(name, command, sock, deadline, workers=1):
    """Run `command` (which serves on `sock`) and return its Server once `workers` answer.
    The server is tethered to the thread that calls this (see runner/lifeline.py)."""
    log = tempfile.TemporaryFile()
    try:
        process = SPAWNER.submit(  # from the one long-lived thread: the tether's "parent"
            subprocess.Popen, tethered(command), cwd=ROOT, env=clean_env(), pass_fds=[sock.fileno()],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True).result()
    except OSError:
        log.close()
        raise
    server = Server(name, process, sock.getsockname()[1], log)
    try:
        wait_until_answering(server, deadline)
        if workers > 1:
            wait_for_workers(server, workers, deadline)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_answering(server, deadline):
    """Poll the server until it answers a zero-delay request, it dies, or `deadline` passes."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        if not server.alive():
            raise ServerError(f"{server.name} exited with {server.process.returncode}: {tail(server)}")
        if answers(server.port):
            return
        time.sleep(0.02)  # polling a condition with a deadline, not synchronising on time
    raise ServerError(f"{server.name} did not answer within {deadline:g} s: {tail(server)}")


def answers(port, delay=0):
    """The X-Worker that served a probe, or None if the server does not answer (yet). Probes
    say so (probe=1): a rate-limited server does not count them against its limit."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", f"/?delay={delay}&probe=1")
        response = conn.getresponse()
        return response.getheader("X-Worker", "?") if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def wait_for_workers(server, workers, deadline):
    """Until `workers` distinct workers answer at once: a worker still booting would otherwise
    delay the first requests of a run. Probes hold each worker briefly, so they spread out."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            seen = set(pool.map(answers, [server.port] * workers, [0.05] * workers))
        if len(seen - {None}) >= workers:
            return
    raise ServerError(f"{server.name}: fewer than {workers} workers answered within {deadline:g} s")


def tail(server, limit=400):
    server.log.seek(0)
    text = server.log.read().decode(errors="replace").strip()
    return text[-limit:].replace("\n", " | ") or "(no output)"


def start_gunicorn(workers=3, app="demos.slow_server:app", port=0, deadline=15.0, rate=0):
    """Real gunicorn with `workers` sync workers serving `app` on loopback (port 0: a free one).
    With a `rate` (requests per second) it serves the rate-limited app, preloaded so that its
    one token bucket is shared by every worker (demos/slow_server.py)."""
    limited = ["--preload", f"demos.slow_server:create_app(rate={float(rate)!r})"]
    with loopback_socket(port) as sock:
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
                   "--worker-class", "sync", "--bind", f"fd://{sock.fileno()}",
                   "--no-control-socket", "--timeout", str(MAX_DELAY + 30),
                   "--graceful-timeout", "1", "--log-level", "warning",
                   *(limited if rate else [app])]
        name = f"gunicorn -w {workers}" + (f" rate {rate:g}/s" if rate else "")
        return launch(name, command, sock, deadline, workers)


def start_asyncio_server(deadline=15.0, rate=0):
    """The asyncio slow server (demos/slow_server_async.py) on a free loopback port."""
    with loopback_socket() as sock:
        command = [sys.executable, "-m", "demos.slow_server_async", "--fd", str(sock.fileno()),
                   "--rate", repr(float(rate))]
        return launch("asyncio server", command, sock, deadline)


def start_socket_server(module, workers=3, deadline=15.0):
    """One of the book's socket servers (e.g. "demos.server_pool") on a free loopback port."""
    with loopback_socket() as sock:
        command = [sys.executable, "-m", module, "--fd", str(sock.fileno()),
                   "--workers", str(workers)]
        return launch(module, command, sock, deadline)


def start_server(kind="gunicorn", workers=3, rate=0):
    """The slow server the runner starts: `kind` is "gunicorn" or "asyncio"; `rate` > 0 makes it
    a rate-limited API (429 beyond `rate` requests per second)."""
    if kind == "asyncio":
        return start_asyncio_server(rate=rate)
    return start_gunicorn(workers, rate=rate)
