"""The deck app: create_app(config=None) builds it (flaskr style: defaults, then overrides).

Its services (store, hub, slow servers, run manager) live in app.extensions["live"].
"""
import logging
import os
import threading
from pathlib import Path

from flask import Flask, jsonify, request

from live import auth
from live.clients import PeerCounts
from live.hub import Hub
from live.ratelimit import DEFAULT_LIMITS
from live.reactor import Reactor
from live.runs import RunManager
from live.servers import SlowServers
from live.store import Store

ROOT = Path(__file__).resolve().parent.parent
CSP = ("default-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "style-src 'self' 'unsafe-inline'; script-src 'self'")
log = logging.getLogger(__name__)


def default_deck():
    """slides/talk.md, or the starter deck while the talk is not written yet."""
    talk = ROOT / "slides" / "talk.md"
    return talk if talk.is_file() else ROOT / "slides" / "starter.md"


class Live:
    """The app's services, and the few operations that span several of them."""

    def __init__(self, config):
        self.store = Store(config["DATABASE"])
        lost = self.store.recover()
        if lost:
            log.warning("runs %s were left running by a crash: marked failed", lost)
        self.hub = Hub(seq=self.store.last_seq(), queue_size=config["QUEUE_SIZE"],
                       send_buffer=config["WS_SEND_BUFFER"])
        self.reactor = Reactor(ping_interval=config["WS_PING_INTERVAL"])
        self.websockets = PeerCounts(config["MAX_WS_PER_CLIENT"], config["MAX_WEBSOCKETS"])
        self.servers = SlowServers()
        self.runs = RunManager(self.store, self.hub, self.servers, timeout=config["RUN_TIMEOUT"],
                               default_workers=config["WORKERS"])
        self.closing = threading.Lock()
        self.closed = False

    def greeting(self, role):
        """hello for a socket of `role`, as a function of the seq it is consistent with."""
        def hello(seq):
            return {"type": "hello", "role": role, "slide": self.store.slide(), "seq": seq,
                    "active": self.store.active(), "runs": self.store.runs()}
        return hello

    def state(self):
        return self.hub.snapshot(lambda seq: {"slide": self.store.slide(), "seq": seq,
                                              "active": self.store.active()})

    def goto(self, slide):
        """Move everyone to `slide` (0-based); a goto to where we are changes nothing."""
        def persist(message):
            self.store.save_slide(message["slide"], message["seq"])
        if slide != self.store.slide():
            self.hub.publish({"type": "slide", "slide": slide}, persist=persist)

    def close(self):
        """Stop everything (idempotent): sockets, the active run, slow servers, the database."""
        with self.closing:
            if self.closed:
                return
            self.hub.close_all()
            self.reactor.stop()
            self.runs.close()
            self.servers.stop_all()
            self.store.close()
            self.closed = True


def configure(app, config):
    app.config.from_mapping(
        PRESENTER_TOKEN=None,
        DECK=None,
        SLIDES_DIR=ROOT / "slides",
        ROOT_DIR=ROOT,
        BENCH_DIR=ROOT / "docs" / "bench",
        REMARK_JS=ROOT / "node_modules" / "remark-slide" / "out" / "remark.min.js",
        DATABASE=os.path.join(app.instance_path, "concurrency-live.sqlite3"),
        RUN_TIMEOUT=600.0,  # a ceiling on every run's own `timeout`
        WORKERS=3,  # the slow server's workers when a run does not say
        AUDIENCE_URLS=[],
        QUEUE_SIZE=1024,  # batches waiting for one socket before it is dropped as too slow
        WS_SEND_BUFFER=64 * 1024,  # bytes of kernel send buffer per socket (0: the kernel's)
        RATE_LIMITS=DEFAULT_LIMITS,
        MAX_CONTENT_LENGTH=16 * 1024,
        # A hard cap well above the 4 KiB we accept: a bigger message closes the socket (1009)
        # before it is buffered; one between the two gets a reject.
        WS_MAX_MESSAGE=64 * 1024,
        WS_INBOX=64,  # messages waiting for their handler; one more closes the socket (1008)
        WS_PING_INTERVAL=25.0,  # seconds; a socket that misses a pong is closed
        WS_FLOOD_BENCH=10.0,  # seconds an address closed for flooding may not open WebSockets
        MAX_WS_PER_CLIENT=16,  # open WebSockets per client address (0: no cap)
        MAX_WEBSOCKETS=10_000,  # open WebSockets in all (0: no cap beyond file descriptors)
    )
    app.config.update(config or {})
    app.config["DECK"] = Path(app.config["DECK"] or default_deck()).resolve()
    app.config["PRESENTER_TOKEN"] = app.config["PRESENTER_TOKEN"] or auth.new_token()
    for key in ("SLIDES_DIR", "ROOT_DIR", "BENCH_DIR", "REMARK_JS"):
        app.config[key] = Path(app.config[key])


def secure(response):
    """Only this host, for everything (remark sets inline styles, hence style-src)."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def error_json(error):
    """JSON errors under /api/, HTML elsewhere."""
    if request.path.startswith("/api/"):
        return jsonify(error=error.description or error.name), error.code
    return error


def create_app(config=None):
    """The Flask app; `config` overrides the defaults (INSTANCE_PATH picks the instance folder)."""
    config = dict(config or {})
    app = Flask(__name__, instance_path=config.pop("INSTANCE_PATH", None),
                instance_relative_config=True, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    os.makedirs(app.instance_path, exist_ok=True)
    configure(app, config)
    app.extensions["live"] = Live(app.config)
    app.after_request(secure)
    for code in (400, 403, 404, 405, 409, 413, 415, 500):
        app.register_error_handler(code, error_json)

    from live import api, deck, ws
    app.register_blueprint(deck.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ws.bp)
    return app


def close_app(app):
    """Stop the app's services (the server is shutting down)."""
    app.extensions["live"].close()
