"""The deck app: create_app(config=None) builds it (flaskr style: defaults, then overrides).

Its services (store, hub, slow servers, run manager) live in app.extensions["live"].
"""
import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from live import auth
from live.clients import PeerCounts
from live.hub import Hub
from live.ratelimit import DEFAULT_LIMITS
from live.reactor import Reactor
from live.replay import Recordings, replays
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
                               default_workers=config["WORKERS"],
                               pythons={"free-threaded": config["FREE_THREADED_PYTHON"],
                                        "3.14": config["PYTHON_314"]})
        self.recordings = Recordings(self.store, config.get("REPLAY_FROM"))
        self.closing = threading.Lock()
        self.closed = False

    def greeting(self, role):
        """hello for a socket of `role`, as a function of the seq it is consistent with."""
        def hello(seq):
            return {"type": "hello", "role": role, "slide": self.store.slide(), "seq": seq,
                    "active": self.store.active(), "runs": self.store.runs(), **self.extras()}
        return hello

    def extras(self):
        """The state beyond slide and runs: replays on show and whether the handout may be
        downloaded (`now` lets a late viewer place a replay that is going on)."""
        return {"replays": replays(self.store), "now": round(time.time(), 6),
                "handout": {"download": self.store.get_state("handout_download", False)}}

    def publish_state(self, kind, fields, key, update, default):
        """Broadcast {type: kind, **fields}; keep update(old, stamped message) as state `key`."""
        def persist(message):
            value = update(self.store.get_state(key, default), message)
            self.store.write([self.store.set_state(key, value),
                              self.store.set_state("seq", message["seq"])])
        return self.hub.publish({"type": kind, **fields}, persist=persist)

    def state(self):
        return self.hub.snapshot(lambda seq: {"slide": self.store.slide(), "seq": seq,
                                              "active": self.store.active(), **self.extras()})

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
            self.recordings.close()
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
        FREE_THREADED_PYTHON=None,  # cpu_threads_ft's interpreter (app.py finds or takes one)
        PYTHON_314=None,  # cpu_interpreters' interpreter (app.py finds one)
        AUDIENCE_URLS=[],
        REPLAY_FROM=None,  # a rehearsal's database: recorded runs to replay (--replay-from)
        HANDOUT_DIR=os.path.join(app.instance_path, "handout"),  # the Export button writes here
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
    response.headers.setdefault("Content-Security-Policy", CSP)  # the handout brings its own
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def error_json(error):
    """Errors as one line with the reason: JSON under /api/, plain text elsewhere."""
    reason = " ".join(str(error.description or error.name).split())
    if request.path.startswith("/api/"):
        return jsonify(error=reason), error.code
    return f"{error.code} {error.name}: {reason}\n", error.code, {
        "Content-Type": "text/plain; charset=utf-8"}


def too_many_guesses(error):
    """429 with the reason, JSON under /api/ like every other error there."""
    if request.path.startswith("/api/"):
        return jsonify(error=str(error)), 429
    return f"429 Too Many Requests: {error}\n", 429, {"Content-Type": "text/plain; charset=utf-8"}


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
    app.register_error_handler(HTTPException, error_json)  # every 4xx (and a 500) in one line
    app.register_error_handler(auth.TooManyGuesses, too_many_guesses)

    from live import api, assets, deck, handout, replay, ws
    assets.init_app(app)  # hashed, precompressed assets; every other text response compressed
    app.register_blueprint(deck.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ws.bp)
    app.register_blueprint(replay.bp)
    app.register_blueprint(handout.bp)
    return app


def close_app(app):
    """Stop the app's services (the server is shutting down)."""
    app.extensions["live"].close()
