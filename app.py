"""concurrency-live: serve the deck app with gunicorn's gthread worker, in one worker process.

    python app.py [--host 0.0.0.0] [--port 5000] [--deck slides/<name>.md] [--workers 3]
                  [--presenter-token TOKEN] [--instance DIR]
                  [--max-conns-per-client 64] [--max-ws-per-client 16] [--header-timeout 10]

On start it launches the embedded slow server, then prints the presenter URL (with its token),
the audience URL for every local address with a QR code, and last `Serving on http://HOST:PORT`.
"""
import argparse
import errno
import os
import resource
import socket
import sys
import threading
import time
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.gthread import TConn, ThreadWorker

from runner.serve import ServerError
from live import auth, close_app, create_app, netinfo
from live.clients import PeerCounts, peer_of

__all__ = ["create_app", "main"]
# HTTP requests only: an open WebSocket holds no thread (live/reactor.py owns it), so these
# are for page loads and API calls, and for request heads that arrive slowly (each holds one
# for at most --header-timeout seconds).
THREADS = 400
CONNECTIONS = 4000  # open HTTP connections in all (kept-alive ones included)
PAUSED = 2.0  # seconds: a master loop (every second) this late means the whole app was stopped
PAUSE_GRACE = 10.0  # seconds the worker has to report in after such a pause
REFUSAL = (b"HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain"
           b"\r\nRetry-After: 5\r\nContent-Length: 42\r\n\r\n"
           b"too many connections or messages from you\n")


def bounded_int(low, high):
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    return convert


def deck_file(text):
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no deck file {text}")
    return path.resolve()


def token(text):
    if not auth.TOKEN_SHAPE.fullmatch(text):
        raise argparse.ArgumentTypeError("8 to 128 characters from A-Z a-z 0-9 _ -")
    return text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Serve the live concurrency deck.")
    parser.add_argument("--host", default="0.0.0.0", help="address to bind (default: all)")
    parser.add_argument("--port", type=bounded_int(0, 65535), default=5000,
                        help="port to bind; 0 picks a free one")
    parser.add_argument("--deck", type=deck_file, help="the deck to present (any .md file)")
    parser.add_argument("--workers", type=bounded_int(1, 32), default=3,
                        help="gunicorn sync workers of the embedded slow server")
    parser.add_argument("--presenter-token", type=token,
                        help="the presenter's secret (default: a new random one)")
    parser.add_argument("--instance", help="folder for the database (default: instance/)")
    parser.add_argument("--queue-size", type=bounded_int(1, 100_000), default=1024,
                        help="batches of frames queued per viewer before a slow one is dropped")
    parser.add_argument("--run-timeout", type=bounded_int(1, 600), default=600,
                        help="ceiling in seconds on any run's own timeout")
    parser.add_argument("--max-conns-per-client", type=bounded_int(0, 100_000), default=64,
                        help="open HTTP connections per client address (0: no cap; a room "
                             "behind one NAT is one address: raise it)")
    parser.add_argument("--max-ws-per-client", type=bounded_int(0, 100_000), default=16,
                        help="open WebSockets per client address (0: no cap; behind one NAT "
                             "give at least the number of phones)")
    parser.add_argument("--flood-bench", type=bounded_int(0, 3600), default=10,
                        help="seconds an address whose WebSocket was closed for flooding may "
                             "not open another (0: never refused)")
    parser.add_argument("--header-timeout", type=bounded_int(1, 300), default=10,
                        help="seconds a client has to send a request's head")
    parser.add_argument("--ws-ping-interval", type=bounded_int(1, 600), default=25,
                        help="seconds between pings on each WebSocket")
    parser.add_argument("--worker-timeout", type=bounded_int(2, 3600), default=60,
                        help="seconds without a heartbeat before gunicorn replaces the app's "
                             "worker (a pause of the whole app, Ctrl-Z or SIGSTOP, is excused)")
    return parser.parse_args(argv)


def shutdown(worker):
    """Stop the app's services once, in a thread of its own (safe from a signal handler); the
    interpreter waits for it, so slow servers and runs are stopped even on a quick exit."""
    with worker.closing:
        if worker.closer is None and worker.wsgi is not None:
            worker.closer = threading.Thread(target=close_app, args=(worker.wsgi,),
                                             name="shutdown")
            worker.closer.start()
    return worker.closer


class CountedConn(TConn):
    """A gunicorn connection counted against its client's cap until it closes (once). A
    WebSocket's socket has been detached by then (the reactor owns it): nothing to close."""

    def __init__(self, cfg, sock, client, server, counts):
        super().__init__(cfg, sock, client, server)
        self.counts, self.peer, self.counted = counts, peer_of(client), True

    def close(self, graceful=False):
        if self.counted:
            self.counted = False
            self.counts.give(self.peer)
        if self.sock.fileno() == -1:
            return
        try:
            super().close(graceful)
        except OSError:
            self.sock.close()


class DeckWorker(ThreadWorker):
    """gthread, plus: SIGTERM closes our WebSockets; a cap on open connections per client;
    a deadline on each request head (a client that sends one byte and waits loses its thread
    after --header-timeout); an abort that exits at once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closing = threading.Lock()
        self.closer = None
        self.wsgi = None
        self.connections = PeerCounts(self.cfg.deck_conns_per_client)
        self.reading = {}  # conn -> monotonic deadline for its request head
        self.reading_lock = threading.Lock()
        self.local = threading.local()

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        shutdown(self)

    def handle_abort(self, sig, frame):
        """gunicorn's timeout (a hung worker): stop the runs and slow servers, then go at once;
        a plain exit would wait for every pool thread and could hang (seen once)."""
        self.alive = False
        closer = shutdown(self)
        if closer is not None:
            closer.join(10)  # blocking
        os._exit(1)

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK,
                               errno.EMFILE, errno.ENFILE):
                raise
            return
        peer = peer_of(client_addr)
        if self.benched(peer) or not self.connections.take(peer):
            refuse(client_sock)
            return
        self.nr_conns += 1
        client_sock.setblocking(True)
        conn = CountedConn(self.cfg, client_sock, client_addr, listener.getsockname(),
                           self.connections)
        self.enqueue_req(conn)

    def benched(self, peer):
        """An address whose WebSocket was closed for flooding is refused at once, for a while
        (--flood-bench): its reconnects then cost no request parsing at all."""
        live = self.wsgi.extensions.get("live") if self.wsgi is not None else None
        return live is not None and live.websockets.benched_for(peer) > 0

    def handle(self, conn):
        """Serve one request with a deadline on its head (cleared by pre_request)."""
        self.local.conn = conn
        with self.reading_lock:
            self.reading[conn] = time.monotonic() + self.cfg.deck_header_timeout
        try:
            return super().handle(conn)
        finally:
            self.head_read(conn)

    def head_read(self, conn):
        with self.reading_lock:
            self.reading.pop(conn, None)

    def murder_pending(self):
        """Every loop pass (about a second): also cut heads that missed their deadline; the
        thread reading one gets end-of-file and goes back to the pool."""
        super().murder_pending()
        now = time.monotonic()
        with self.reading_lock:
            late = [conn for conn, deadline in self.reading.items() if deadline < now]
            for conn in late:
                del self.reading[conn]
        for conn in late:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def refuse(sock):
    """A client over its cap: a 429 if it fits at once, then close (no thread, no wait)."""
    try:
        sock.setblocking(False)
        sock.send(REFUSAL)
    except OSError:
        pass
    sock.close()


def pre_request(worker, _req):
    worker.head_read(worker.local.conn)


class DeckArbiter(Arbiter):
    """gunicorn's master, excusing a pause of the whole app: after SIGSTOP/SIGCONT (Ctrl-Z,
    a debugger, a laptop lid with a stopped terminal) the heartbeat looks minutes old, and
    gunicorn would kill the worker, every socket and the active run with it."""

    def __init__(self, app):
        super().__init__(app)
        self.last_pass = time.monotonic()
        self.excused_until = 0.0

    def murder_workers(self):
        now = time.monotonic()
        if now - self.last_pass > PAUSED:
            self.log.warning("the app was paused for %.0f s: its worker has %.0f s to report in",
                             now - self.last_pass, PAUSE_GRACE)
            self.excused_until = now + PAUSE_GRACE
        self.last_pass = now
        if now >= self.excused_until:
            super().murder_workers()


def worker_int(worker):
    shutdown(worker)


def worker_exit(_server, worker):
    closer = shutdown(worker)
    if closer is not None:
        closer.join(30)  # blocking


class DeckServer(BaseApplication):
    """gunicorn, configured in code: 1 worker process, gthread, no control socket."""

    def __init__(self, args, config):
        self.args, self.app_config = args, config
        super().__init__()

    def load_config(self):
        options = {
            "bind": [bind_address(self.args.host, self.args.port)],
            "workers": 1,  # one process keeps the slide, the runs and the sockets in one place
            "worker_class": DeckWorker,
            "threads": THREADS,
            "worker_connections": CONNECTIONS,
            "control_socket_disable": True,
            "graceful_timeout": 10,
            "timeout": self.args.worker_timeout,
            "keepalive": 5,
            "loglevel": "warning",
            "proc_name": "concurrency-live",
            "when_ready": self.when_ready,
            "post_worker_init": self.post_worker_init,
            "pre_request": pre_request,
            "worker_int": worker_int,
            "worker_exit": worker_exit,
        }
        for key, value in options.items():
            self.cfg.set(key, value)
        # ours, read by DeckWorker (gunicorn's Config keeps unknown names off its settings)
        self.cfg.deck_conns_per_client = self.args.max_conns_per_client
        self.cfg.deck_header_timeout = self.args.header_timeout

    def run(self):
        try:
            DeckArbiter(self).run()
        except RuntimeError as exc:
            sys.exit(f"app.py: error: {exc}")

    def when_ready(self, server):
        """Listening (the port is known even for --port 0): tell the app its audience URLs."""
        self.port = server.LISTENERS[0].getsockname()[1]
        self.app_config["AUDIENCE_URLS"] = netinfo.audience_urls(self.args.host, self.port)

    def load(self):
        return create_app(self.app_config)  # in the worker, after fork: threads start there

    def post_worker_init(self, worker):
        """The app is loaded: start the slow server, then say where everything is."""
        live = worker.wsgi.extensions["live"]
        try:
            slow = live.servers.url(self.args.workers)  # blocking
        except (ServerError, OSError) as exc:  # keep serving the deck; each run tries again
            slow = f"not started ({exc}); each run will try again"
        banner(self.args, self.port, worker.wsgi.config, slow, sys.stdout)


def bind_address(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def banner(args, port, config, slow_url, out):
    local = netinfo.url_for_host(netinfo.local_host(args.host), port, "")
    audience = config["AUDIENCE_URLS"]
    lines = [f"concurrency-live: deck {config['DECK']}",
             f"Slow server: gunicorn -w {args.workers} (sync) at {slow_url}",
             f"Presenter (keep it secret): {local}/presenter?token={config['PRESENTER_TOKEN']}"]
    lines += [f"Audience: {url}" for url in audience]
    out.write("\n".join(lines) + "\n")
    netinfo.terminal_qr(audience[0], out)
    out.write(f"Serving on {local}\n")
    out.flush()


def check_bind(host, port):
    """A one-line reason instead of gunicorn's five retries when the address is taken or wrong."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            hint = " (--port 0 picks a free one)" if exc.errno == errno.EADDRINUSE else ""
            sys.exit(f"app.py: error: cannot listen on {host}:{port}: {exc.strerror or exc}{hint}")


def raise_file_limit():
    """Every socket is a file descriptor: the soft limit up to the hard one."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def websocket_room():
    """WebSockets in all: what the file descriptors leave beside HTTP and the slow servers."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(100, soft - CONNECTIONS - 500)


def main(argv=None):
    args = parse_args(argv)
    check_bind(args.host, args.port)
    raise_file_limit()
    config = {"PRESENTER_TOKEN": args.presenter_token or auth.new_token(),
              "DECK": args.deck, "WORKERS": args.workers, "QUEUE_SIZE": args.queue_size,
              "RUN_TIMEOUT": float(args.run_timeout),
              "MAX_WS_PER_CLIENT": args.max_ws_per_client,
              "WS_PING_INTERVAL": float(args.ws_ping_interval),
              "WS_FLOOD_BENCH": float(args.flood_bench),
              "MAX_WEBSOCKETS": websocket_room()}
    if args.instance:
        config["INSTANCE_PATH"] = str(Path(args.instance).resolve())
    DeckServer(args, config).run()


if __name__ == "__main__":
    main()
