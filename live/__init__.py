"""The deck app: create_app(config=None) builds it (flaskr style: defaults, then overrides).

Its services (store, hub, slow servers, run manager) live in app.extensions["live"].
"""
import logging
import os
import sys
import threading
import time
from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from live import auth, wire
from live.assets import REMARK_JS
from live.clients import PeerCounts
from live.crowdlive import LIMITS as CROWD_LIMITS, CrowdLive
from live.hub import Hub, encode
from live.ratelimit import DEFAULT_LIMITS
from live.reactor import Reactor
from live.replay import Recordings, replays
from live.runcache import RunCache
from live.runs import RunManager
from live.servers import SlowServers
from live.slides import DeckPanels
from live.store import DATABASE_NAME, FINAL, Store

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
        if self.store.created:
            log.info("new database %s (epoch %s)", config["DATABASE"], self.store.epoch)
        lost = self.store.recover()
        if lost:
            log.warning("runs %s were left running by a crash: marked failed", lost)
        self.hub = Hub(seq=self.store.last_seq(), queue_size=config["QUEUE_SIZE"],
                       send_buffer=config["WS_SEND_BUFFER"])
        self.reactor = Reactor(ping_interval=config["WS_PING_INTERVAL"])
        self.websockets = PeerCounts(config["MAX_WS_PER_CLIENT"], config["MAX_WEBSOCKETS"])
        self.servers = SlowServers()
        self.cache = RunCache(self.store, rate=config["RUN_READ_RATE"])
        self.runs = RunManager(self.store, self.hub, self.servers, timeout=config["RUN_TIMEOUT"],
                               default_workers=config["WORKERS"], finished=self.cache.warm,
                               pythons={"free-threaded": config["FREE_THREADED_PYTHON"],
                                        "3.14": config["PYTHON_314"]})
        self.recordings = Recordings(self.store, config.get("REPLAY_FROM"))
        self.panels = DeckPanels(config["DECK"])
        self.crowd = CrowdLive(self.store, self.hub, config)
        self.closing = threading.Lock()
        self.closed = False
        threading.Thread(target=self.warm, name="warm-runs", daemon=True).start()

    def warm(self):
        """Build the cached answers of the runs the deck's panels show (a fresh start has none),
        so the hellos of a room that reconnects carry them."""
        try:
            self.panels.refresh()
            runs = self.store.runs()
            for slide in range(len(self.panels.slides)):
                for run in shown_runs(self.panels.on(slide), runs):
                    if self.closed:
                        return
                    if run["status"] in FINAL:
                        self.cache.warm(run["id"])
        except Exception:  # the app stopping under it, or a damaged run: pages fetch them
            if not self.closed:
                log.exception("could not warm the runs' cache")

    def greeting(self, role):
        """hello for a socket of `role`, as a function of the seq it is consistent with (called
        under the hub's lock: memory only). It carries the runs of the presenter's slide in
        compact form, so a late joiner draws what is on its screen without asking."""
        self.panels.refresh()  # here, outside the hub's lock: it may read the deck file

        def hello(seq):
            slide, runs = self.store.slide(), self.store.runs()
            message = {"type": "hello", "role": role, "epoch": self.store.epoch, "slide": slide,
                       "seq": seq, "active": self.store.active(), "layout": wire.LAYOUT,
                       "runs": runs, **self.extras()}
            details = [self.detail_text(run) for run in shown_runs(self.panels.on(slide), runs)]
            details = [text for text in details if text is not None]
            return encode(message)[:-1] + ',"details":[' + ",".join(details) + "]}"
        return hello

    def detail_text(self, run):
        """A run's compact detail from memory (the active run's records or the cache), or None:
        the client then fetches it."""
        entry = self.cache.peek(run["id"], "compact") if run["status"] in FINAL else None
        if entry is None:
            return self.runs.live_detail(run["id"])
        return entry.body("identity").decode()

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
                                              "active": self.store.active(),
                                              "epoch": self.store.epoch, **self.extras()})

    def goto(self, slide):
        """Move everyone to `slide` (0-based); a goto to where we are changes nothing."""
        def persist(message):
            self.store.save_slide(message["slide"], message["seq"])
        if slide != self.store.slide():
            self.hub.publish({"type": "slide", "slide": slide}, persist=persist)
        self.crowd.slide_changed(slide)

    def close(self):
        """Stop everything (idempotent): sockets, the active run, slow servers, the database."""
        with self.closing:
            if self.closed:
                return
            self.crowd.close()
            self.hub.close_all()
            self.reactor.stop()
            self.runs.close()
            self.servers.stop_all()
            self.recordings.close()
            self.store.close()
            self.closed = True


def shown_runs(panels, runs):
    """The run each panel shows, as static/js/store.js latestFor picks it: the latest of its
    panel, else the latest of its demo."""
    shown = []
    for panel, demo in panels:
        mine = [run for run in runs if run["panel"] == panel] or \
            [run for run in runs if run["demo"] == demo]
        if mine and mine[-1] not in shown:
            shown.append(mine[-1])
    return shown


def configure(app, config):
    app.config.from_mapping(
        PRESENTER_TOKEN=None,
        DECK=None,
        SLIDES_DIR=ROOT / "slides",
        ROOT_DIR=ROOT,
        BENCH_DIR=ROOT / "docs" / "bench",
        REMARK_JS=REMARK_JS,
        DATABASE=os.path.join(app.instance_path, DATABASE_NAME),
        RUN_TIMEOUT=600.0,  # a ceiling on every run's own `timeout`
        WORKERS=3,  # the slow server's workers when a run does not say
        FREE_THREADED_PYTHON=None,  # cpu_threads_ft's interpreter (app.py finds or takes one)
        PYTHON_314=None,  # cpu_interpreters' interpreter (app.py finds one)
        AUDIENCE_URLS=[],
        REPLAY_FROM=None,  # a rehearsal's database: recorded runs to replay (--replay-from)
        HANDOUT_DIR=os.path.join(app.instance_path, "handout"),  # the Export button writes here
        QUEUE_SIZE=1024,  # batches waiting for one socket before it is dropped as too slow
        WS_SEND_BUFFER=64 * 1024,  # bytes of kernel send buffer per socket (0: the kernel's)
        RATE_LIMITS={**DEFAULT_LIMITS, **CROWD_LIMITS},
        CROWD_CAP=1000,  # requests waiting at a crowd round's slow server before taps are refused
        MAX_CONTENT_LENGTH=16 * 1024,
        # A hard cap well above the 4 KiB we accept: a bigger message closes the socket (1009)
        # before it is buffered; one between the two gets a reject.
        WS_MAX_MESSAGE=64 * 1024,
        WS_INBOX=64,  # messages waiting for their handler; one more closes the socket (1008)
        WS_PING_INTERVAL=25.0,  # seconds; a socket that misses a pong is closed
        WS_FLOOD_BENCH=10.0,  # seconds an address closed for flooding may not open WebSockets
        MAX_WS_PER_CLIENT=16,  # open WebSockets per client address (0: no cap)
        MAX_WEBSOCKETS=10_000,  # open WebSockets in all (0: no cap beyond file descriptors)
        # The app is one process of many threads, nearly all waiting on sockets: a short GIL
        # switch interval lets a slide change through quickly while readers of big runs are
        # busy (bench/abuse_reads.py: slide-change p99 about halved with 30 of them).
        SWITCH_INTERVAL=0.0005,
        # bytes per second of GET /api/runs/<id> answers, all clients together (a venue's
        # Wi-Fi carries a few MB/s; loopback would let readers take every core)
        RUN_READ_RATE=32e6,
    )
    app.config.update(config or {})
    app.config["DECK"] = Path(app.config["DECK"] or default_deck()).resolve()
    app.config["PRESENTER_TOKEN"] = app.config["PRESENTER_TOKEN"] or auth.new_token()
    for key in ("SLIDES_DIR", "ROOT_DIR", "BENCH_DIR", "REMARK_JS"):
        app.config[key] = Path(app.config[key])
    if not app.config["REMARK_JS"].is_file():
        raise RuntimeError(f"{app.config['REMARK_JS']} is missing: `make setup` builds it")


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
    sys.setswitchinterval(app.config["SWITCH_INTERVAL"])
    app.extensions["live"] = Live(app.config)
    app.after_request(secure)
    app.register_error_handler(HTTPException, error_json)  # every 4xx (and a 500) in one line
    app.register_error_handler(auth.TooManyGuesses, too_many_guesses)

    from live import api, assets, crowdapi, deck, handout, replay, ws
    assets.init_app(app)  # hashed, precompressed assets; every other text response compressed
    app.register_blueprint(deck.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(crowdapi.bp)
    app.register_blueprint(ws.bp)
    app.register_blueprint(replay.bp)
    app.register_blueprint(handout.bp)
    return app


def close_app(app):
    """Stop the app's services (the server is shutting down)."""
    app.extensions["live"].close()
