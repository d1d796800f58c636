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

The flags and their checks are live/cli.py's (`python app.py --help` lists them all); what is
checked before gunicorn starts (the address, the database) is live/preflight.py's.
"""
import resource
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication

from runner import pythons
from runner.serve import ServerError
from live import auth, create_app, default_deck, export, netinfo
from live.cli import parse_args
from live.preflight import check_bind, check_database, check_replay_from
from live.serving import DeckArbiter, DeckWorker, pre_request, worker_exit, worker_int

__all__ = ["create_app", "main"]
# HTTP requests only: an open WebSocket holds no thread (live/reactor.py owns it), so these
# are for page loads and API calls, and for request heads that arrive slowly (each holds one
# for at most --header-timeout seconds).
THREADS = 400
CONNECTIONS = 4000  # open HTTP connections in all (kept-alive ones included)


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
    if args.command == "export":
        return export.main(args, default_deck)
    check_bind(args.host, args.port)
    check_database(Path(args.instance) if args.instance else Path(__file__).parent / "instance")
    if args.replay_from:
        check_replay_from(args.replay_from)
    raise_file_limit()
    DeckServer(args, app_config(args)).run()


def app_config(args):
    """The flags as create_app's config (what the worker builds the app from)."""
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
    return config


if __name__ == "__main__":
    main()
