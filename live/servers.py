"""The embedded slow servers: one real gunicorn (W sync workers) per worker count, started lazily
and restarted when it has died (a slow server killed mid-run must not break the next run)."""
import threading

from runner import serve


class SlowServers:
    """Slow servers by worker count; `url(workers)` always answers with a live one."""

    def __init__(self, start=serve.start_gunicorn):
        self.start = start
        self.lock = threading.Lock()
        self.servers = {}
        self.stopping = []  # threads stopping retired servers

    def url(self, workers):
        """The URL of a live gunicorn with `workers` sync workers (starting one may block)."""
        with self.lock:
            server = self.servers.get(workers)
            if server is None or not server.alive():
                if server is not None:
                    server.stop()  # reap the dead one and its orphaned workers
                server = self.servers[workers] = self.start(workers=workers)  # blocking
            return server.url

    def running(self):
        """{workers: url} of the servers alive now."""
        with self.lock:
            return {w: s.url for w, s in self.servers.items() if s.alive()}

    def retire(self, workers):
        """Replace the server for `workers` at its next use: a cancelled or timed-out run may
        have left its workers sleeping, which would delay the next run's requests."""
        with self.lock:
            server = self.servers.pop(workers, None)
            if server is not None:
                thread = threading.Thread(target=server.stop, name="retire-slow-server")
                thread.start()
                self.stopping = [t for t in self.stopping if t.is_alive()] + [thread]

    def stop_all(self):
        with self.lock:
            servers, self.servers = list(self.servers.values()), {}
            stopping, self.stopping = self.stopping, []
        for server in servers:
            server.stop()  # blocking
        for thread in stopping:
            thread.join()  # blocking
