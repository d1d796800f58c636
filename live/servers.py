"""The embedded slow servers: one real gunicorn (W sync workers) per worker count, started lazily
and restarted when it has died (a slow server killed mid-run must not break the next run).

Bounded: at most `keep` servers at once (the least recently used one is stopped to make room),
and a server no run has asked for in `idle_after` seconds is stopped. runner/serve.py starts
every server from its one long-lived thread, so the kernel stops it if the app dies, even by
SIGKILL (see runner/lifeline.py: the tether belongs to the thread that started the process);
url() may be called from any thread, a run's or a crowd round's.
"""
import threading
import time

from runner import serve

KEEP = 2  # servers alive at once
IDLE_AFTER = 900.0  # seconds: longer than the longest run (600 s), so no run loses its server


class SlowServers:
    """Slow servers by worker count; `url(workers)` always answers with a live one."""

    def __init__(self, start=serve.start_gunicorn, keep=KEEP, idle_after=IDLE_AFTER):
        self.start, self.keep, self.idle_after = start, keep, idle_after
        self.lock = threading.Lock()
        self.servers = {}
        self.used = {}  # workers -> monotonic time of the last url()
        self.stopping = []  # threads stopping retired servers
        self.closed = threading.Event()
        self.reaper = threading.Thread(target=self.reap_idle, name="slow-server-reaper",
                                       daemon=True)
        self.reaper.start()

    def url(self, workers):
        """The URL of a live gunicorn with `workers` sync workers (starting one may block)."""
        with self.lock:
            self.used[workers] = time.monotonic()
            server = self.servers.get(workers)
            if server is None or not server.alive():
                if server is not None:
                    server.stop()  # reap the dead one and its orphaned workers
                    del self.servers[workers]
                self.make_room_locked()
                server = self.start(workers=workers)  # blocking
                self.servers[workers] = server
            return server.url

    def make_room_locked(self):
        """Stop the least recently used servers until one more fits under `keep`."""
        while self.servers and len(self.servers) >= self.keep:
            oldest = min(self.servers, key=lambda w: self.used.get(w, 0.0))
            self.retire_locked(oldest)

    def running(self):
        """{workers: url} of the servers alive now."""
        with self.lock:
            return {w: s.url for w, s in self.servers.items() if s.alive()}

    def retire(self, workers):
        """Replace the server for `workers` at its next use: a cancelled or timed-out run may
        have left its workers sleeping, which would delay the next run's requests."""
        with self.lock:
            self.retire_locked(workers)

    def retire_locked(self, workers):
        server = self.servers.pop(workers, None)
        if server is not None:
            thread = threading.Thread(target=server.stop, name="retire-slow-server")
            thread.start()
            self.stopping = [t for t in self.stopping if t.is_alive()] + [thread]

    def reap_idle(self):
        """Stop servers no run has asked for in `idle_after` seconds (checked a few times per
        period)."""
        while not self.closed.wait(max(0.2, min(30.0, self.idle_after / 4))):  # blocking
            now = time.monotonic()
            with self.lock:
                for workers in [w for w in self.servers
                                if now - self.used.get(w, now) > self.idle_after]:
                    self.retire_locked(workers)

    def stop_all(self):
        self.closed.set()
        with self.lock:
            servers, self.servers = list(self.servers.values()), {}
            stopping, self.stopping = self.stopping, []
        for server in servers:
            server.stop()  # blocking
        for thread in stopping:
            thread.join()  # blocking
