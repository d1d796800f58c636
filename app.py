"""concurrency-live: serve the deck app with gunicorn's gthread worker, in one worker process.

    python app.py [--host 0.0.0.0] [--port 5000] [--deck slides/<name>.md] [--workers 3]
                  [--presenter-token TOKEN] [--show-token] [--instance DIR]
                  [--queue-size 1024] [--run-timeout 600] [--replay-from FILE]
                  [--max-conns-per-client 64] [--max-ws-per-client 16] [--header-timeout 10]
                  [--crowd-cap 1000]
    python app.py export [--deck FILE] [--instance DIR] [--out DIR] [--notes] [--no-pdf]

On start it launches the embedded slow server, writes the presenter URL (with its token) to
<instance>/presenter-url.txt (owner-only) and prints where it is, then the audience URL for every
local address with a QR code, and last `Serving on http://HOST:PORT`. The token is printed only
with --show-token: the terminal with the QR code is often the one on the projector.
"""
import argparse
import errno
import resource
import socket
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from gunicorn.app.base import BaseApplication

from runner import pythons
from runner.params import PARAMS
from runner.serve import ServerError
from live import auth, create_app, default_deck, export, netinfo
from live.replay import open_database
from live.serving import DeckArbiter, DeckWorker, pre_request, worker_exit, worker_int
from live.store import Store

__all__ = ["create_app", "main"]
# HTTP requests only: an open WebSocket holds no thread (live/reactor.py owns it), so these
# are for page loads and API calls, and for request heads that arrive slowly (each holds one
# for at most --header-timeout seconds).
THREADS = 400
CONNECTIONS = 4000  # open HTTP connections in all (kept-alive ones included)


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


def database_file(text):
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no database file {text}")
    return path.resolve()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Serve the live concurrency deck.")
    commands = parser.add_subparsers(dest="command", metavar="{export}")
    export.add_arguments(commands.add_parser(
        "export", help="write the handout: index.html, a PDF and trace files"), deck_file)
    parser.add_argument("--host", default="0.0.0.0", help="address to bind (default: all)")
    parser.add_argument("--port", type=bounded_int(0, 65535), default=5000,
                        help="port to bind; 0 picks a free one")
    parser.add_argument("--deck", type=deck_file, help="the deck to present (any .md file)")
    workers, timeout = PARAMS["workers"], PARAMS["timeout"]
    parser.add_argument("--workers", type=bounded_int(int(workers.low), int(workers.high)),
                        default=workers.default,
                        help="gunicorn sync workers of the embedded slow server")
    parser.add_argument("--presenter-token", type=token,
                        help="the presenter's secret (default: a new random one)")
    parser.add_argument("--show-token", action="store_true",
                        help="also print the presenter URL with its token (not for a terminal "
                             "on the projector)")
    parser.add_argument("--instance", help="folder for the database (default: instance/)")
    parser.add_argument("--queue-size", type=bounded_int(1, 100_000), default=1024,
                        help="batches of frames queued per viewer before a slow one is dropped")
    parser.add_argument("--run-timeout", type=bounded_int(int(timeout.low), int(timeout.high)),
                        default=int(timeout.high),
                        help="ceiling in seconds on any run's own timeout")
    parser.add_argument("--max-conns-per-client", type=bounded_int(0, 100_000), default=64,
                        help="open HTTP connections per client address (0: no cap; a room "
                             "behind one NAT is one address: raise it)")
    parser.add_argument("--max-ws-per-client", type=bounded_int(0, 100_000), default=16,
                        help="open WebSockets per client address (0: no cap; behind one NAT "
                             "give at least the number of phones)")
    parser.add_argument("--flood-bench", type=bounded_int(0, 3600), default=10,
                        help="seconds an address whose WebSocket was closed for flooding is "
                             "refused new connections (0: never; presenters never)")
    parser.add_argument("--header-timeout", type=bounded_int(1, 300), default=10,
                        help="seconds a client has to send a request's head")
    parser.add_argument("--ws-ping-interval", type=bounded_int(1, 600), default=25,
                        help="seconds between pings on each WebSocket")
    parser.add_argument("--worker-timeout", type=bounded_int(2, 3600), default=60,
                        help="seconds without a heartbeat before gunicorn replaces the app's "
                             "worker (a pause of the whole app, Ctrl-Z or SIGSTOP, is excused)")
    parser.add_argument("--crowd-cap", type=bounded_int(1, 100_000), default=1000,
                        help="requests waiting at once in a crowd round before taps are refused")
    parser.add_argument("--replay-from", type=database_file, metavar="FILE",
                        help="a rehearsal's database: recorded runs the presenter may replay")
    parser.add_argument("--free-threaded-python", metavar="PATH",
                        help="a free-threaded Python for cpu_threads_ft (default: python3.14t, "
                             "python3.13t or python3.13-nogil on PATH, if one works)")
    args = parser.parse_args(argv)
    args.free_threaded = free_threaded(parser, args.free_threaded_python)
    return args


def free_threaded(parser, path):
    """(path, version) of the free-threaded Python to use, or (None, None); a bad PATH is a
    usage error with its reason."""
    if path is None:
        return pythons.find_free_threaded()
    version, reason = pythons.probe(path)
    if reason:
        parser.error(f"--free-threaded-python: {reason}")
    return path, version


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
        banner(self.args, self.port, worker.wsgi, slow, sys.stdout)


def bind_address(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def banner(args, port, app, slow_url, out):
    """What the terminal shows: where things are. The presenter URL goes to a file (the token is
    printed only with --show-token), since this screen, QR code and all, may be projected."""
    config = app.config
    local = netinfo.url_for_host(netinfo.local_host(args.host), port, "")
    audience = config["AUDIENCE_URLS"]
    presenter = f"{local}/presenter?token={config['PRESENTER_TOKEN']}"
    saved = auth.save_presenter_url(app.instance_path, presenter)
    path, version = args.free_threaded
    free = f"{path} (Python {version})" if path else "none found (the GIL slide will say so)"
    lines = [f"concurrency-live: deck {config['DECK']}",
             f"Slow server: gunicorn -w {args.workers} (sync) at {slow_url}",
             f"Free-threaded Python: {free}",
             f"Python 3.14 (subinterpreters): {config['PYTHON_314'] or 'none found'}",
             f"Presenter: open the link in {saved} (kept private: only you can read it)"]
    if args.show_token:
        lines.append(f"Presenter (keep it secret): {presenter}")
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


DATABASE = "concurrency-live.sqlite3"  # in the instance folder (live.configure)


def database_problem(path):
    """Why the database at `path` cannot be used, or None. Read-only first (a damaged file is
    never written to), then the reads every page and socket makes."""
    if not path.is_file():
        return "it is not a file"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            return verdict.splitlines()[0]
        store = Store(path)
        try:
            store.slide(), store.last_seq(), store.runs(), store.active()
        finally:
            store.close()
    except sqlite3.Error as exc:
        return str(exc)
    except (ValueError, TypeError, KeyError) as exc:
        return f"unreadable data: {type(exc).__name__}: {exc}"
    return None


def check_database(folder):
    """A damaged database stops the start with one line saying what to do; the file is kept."""
    path = Path(folder) / DATABASE
    problem = database_problem(path) if path.exists() else None
    if problem:
        sys.exit(f"app.py: error: the database {path} is damaged ({problem}); it was left as "
                 "it is: move it aside to start afresh, or pass --instance with another folder")


def check_replay_from(path):
    try:
        open_database(path).close()
    except ValueError as exc:
        sys.exit(f"app.py: error: --replay-from {exc}")


def main(argv=None):
    args = parse_args(argv)
    if args.command == "export":
        return export.main(args, default_deck)
    check_bind(args.host, args.port)
    check_database(Path(args.instance) if args.instance else Path(__file__).parent / "instance")
    if args.replay_from:
        check_replay_from(args.replay_from)
    raise_file_limit()
    config = {"PRESENTER_TOKEN": args.presenter_token or auth.new_token(),
              "DECK": args.deck, "WORKERS": args.workers, "QUEUE_SIZE": args.queue_size,
              "RUN_TIMEOUT": float(args.run_timeout),
              "FREE_THREADED_PYTHON": args.free_threaded[0],
              "PYTHON_314": pythons.find_python314(args.free_threaded),
              "REPLAY_FROM": args.replay_from, "CROWD_CAP": args.crowd_cap,
              "MAX_WS_PER_CLIENT": args.max_ws_per_client,
              "WS_PING_INTERVAL": float(args.ws_ping_interval),
              "WS_FLOOD_BENCH": float(args.flood_bench),
              "MAX_WEBSOCKETS": websocket_room()}
    if args.instance:
        config["INSTANCE_PATH"] = str(Path(args.instance).resolve())
    DeckServer(args, config).run()


if __name__ == "__main__":
    main()
