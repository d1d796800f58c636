"""Crowd rounds: the presenter opens one on a slow server of its own (gunicorn with W workers, or
the asyncio one), every tap sends one real request through the Sender, and every screen gets the
round's rows in batches. Limits: one request waiting per device, a cap on requests waiting at
once, no taps unless a round is open on the slide the presenter shows.
"""
import logging
import re
import threading
import time
from functools import partial

from runner import serve
from runner.params import PARAMS, ParamError, clean

from live.crowdround import LIVE, Round, rows_message

CROWD_PARAMS = ("workers", "delay", "server")
PANEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
log = logging.getLogger(__name__)


def crowd_params(raw):
    """workers, delay and server, checked against the one parameter table (ParamError)."""
    if not isinstance(raw, dict):
        raise ParamError("params must be an object")
    unknown = sorted(set(raw) - set(CROWD_PARAMS))
    if unknown:
        raise ParamError(f"a crowd round takes workers, delay and server, not {unknown[0]}")
    return {name: clean(name, raw.get(name, PARAMS[name].default)) for name in CROWD_PARAMS}


class Crowd:
    def __init__(self, cstore, batcher, sender, cap=1000, start_server=serve.start_server):
        self.cstore, self.batcher, self.sender = cstore, batcher, sender
        self.cap, self.start_server = cap, start_server
        self.lock = threading.Lock()
        self.rounds = {}  # id -> Round, every round so far
        self.current = None
        self.threads = []
        self.closed = False
        self.load()

    def load(self):
        for rid, panel, params, status, error, _opened in self.cstore.rounds():
            rnd = self.rounds[rid] = Round(rid, panel, params, status, error)
            rnd.load(self.cstore.requests(rid))

    # ---- presenter
    def open(self, panel, raw, slide):
        """Open a round (its server starts in a thread); returns a reject reason or None."""
        if not PANEL.fullmatch(panel):
            return "crowd_open: panel must be a short name like c1"
        try:
            params = crowd_params(raw or {})
        except ParamError as exc:
            return f"crowd_open: {exc}"
        with self.lock:
            if self.current is not None and self.current.status in ("starting", "open"):
                return f"crowd_open: round {self.current.id} is still open: close it first"
            previous = self.current
        if previous is not None:
            self.end(previous, "cancelled: the next round opened")
        rid = self.cstore.create_round(panel, params)
        rnd = Round(rid, panel, params, slide=slide)
        with self.lock:
            self.rounds[rid] = self.current = rnd
        self.mark(rnd)
        thread = threading.Thread(target=self.start, args=(rnd,), name=f"crowd-round-{rid}")
        thread.start()
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        return None

    def start(self, rnd):
        """The round's slow server: once it answers, the round is open."""
        try:
            server = self.start_server(rnd.params["server"], rnd.params["workers"])  # blocking
            self.sender.start()
        except (serve.ServerError, OSError) as exc:
            self.set_status(rnd, "failed", f"the slow server did not start: {exc}")
            return
        with self.lock:
            rnd.server = server
            going = rnd.status == "starting" and not self.closed
            if going:
                rnd.url = f"{server.url}?delay={rnd.params['delay']:g}"
                rnd.t0 = time.perf_counter()
        if going:
            self.set_status(rnd, "open")
        else:
            self.finish(rnd)

    def close(self, reason=None):
        """Stop taps on the current round; its waiting requests still finish."""
        with self.lock:
            rnd = self.current
            if rnd is None or rnd.status not in ("starting", "open"):
                return "crowd_close: no round is open"
            starting = rnd.status == "starting"
        self.set_status(rnd, "closed", reason)
        if not starting:
            self.finish_if_drained(rnd)
        return None

    def slide_changed(self, slide):
        """Leaving the round's slide ends new taps."""
        with self.lock:
            rnd = self.current
            leaving = rnd is not None and rnd.status in ("starting", "open") and slide != rnd.slide
        if leaving:
            self.close("closed: the presenter left the slide")

    # ---- audience
    def tap(self, device):
        """One tap: (reason, None) if refused, else (None, (round id, i, t))."""
        if device is None:
            return "crowd_tap: this page has not said which device it is: reload it", None
        with self.lock:
            rnd = self.current
            if rnd is None or rnd.status != "open":
                return "crowd_tap: no round is open: wait for the presenter", None
            if device in rnd.in_flight:
                return "crowd_tap: your request is still waiting: one at a time", None
            if self.waiting() >= self.cap:
                return (f"crowd_tap: {self.cap} requests are already waiting at the server: "
                        "try again when some are answered"), None
            request = rnd.add(device)
            i = request["i"]
            rnd.unsent.append((request, self.cstore.add_request(rnd.id, i, device, request["t"])))
            rnd.waiting[i] = self.sender.send(rnd.id, rnd.url, partial(self.answered, rnd, i))
        self.mark(rnd)
        return None, (rnd.id, i, request["t"])

    def answered(self, rnd, i, result):
        """A request's answer (on the sender's thread)."""
        with self.lock:
            rnd.answer(i, result)
            request = rnd.requests[i]
            rnd.unsent.append((request, self.cstore.end_request(rnd.id, i, request)))
        self.mark(rnd)
        self.finish_if_drained(rnd)

    # ---- the round's life
    def set_status(self, rnd, status, error=None):
        with self.lock:
            if status in ("done", "failed"):
                rnd.stop_clock()
            rnd.status = status
            rnd.error = error or rnd.error
        self.batcher.add(None, [self.cstore.round_status(rnd.id, status, error)])
        self.mark(rnd)

    def finish_if_drained(self, rnd):
        with self.lock:
            drained = rnd.status == "closed" and not rnd.waiting
        if drained:
            self.finish(rnd)

    def finish(self, rnd):
        """The round is over: done, its server and its connections let go."""
        with self.lock:
            if rnd.status == "done":
                return
            failed = rnd.status == "failed"
            server, rnd.server = rnd.server, None
        if not failed:
            self.set_status(rnd, "done")
        self.sender.forget(rnd.id)
        if server is not None:
            threading.Thread(target=server.stop, name="crowd-server-stop").start()

    def end(self, rnd, reason):
        """End a round now: its waiting requests are abandoned with `reason`."""
        with self.lock:
            futures = list(rnd.waiting.values())
            if rnd.status in ("starting", "open"):
                rnd.status = "closed"
        for future in futures:
            future.cancel()
        if not futures:
            self.finish(rnd)  # else the last cancelled answer finishes it

    def mark(self, rnd):
        """Send the round's new rows, then its summary, in the next batch."""
        self.batcher.mark(("rows", rnd.id), partial(self.rows_message, rnd))
        self.batcher.mark(("round", rnd.id), partial(self.round_message, rnd))

    def rows_message(self, rnd):
        """Every row that changed since the last batch, as one compact message."""
        with self.lock:
            unsent, rnd.unsent = rnd.unsent, []
            return (rows_message(rnd.id, [request for request, _ in unsent]) if unsent else None,
                    [statement for _, statement in unsent])

    def round_message(self, rnd):
        with self.lock:
            return {"type": "crowd_round", **rnd.summary()}, []

    # ---- reads
    def waiting(self):
        """Requests waiting at the slow servers now (lock held)."""
        return sum(len(r.waiting) for r in self.rounds.values() if r.status in LIVE)

    def tapping(self):
        with self.lock:
            rnd = self.current
            return len(rnd.tapped) if rnd is not None and rnd.status in ("open",) else 0

    def summaries(self):
        with self.lock:
            return [rnd.summary() for _, rnd in sorted(self.rounds.items())]

    def detail(self, rid):
        with self.lock:
            rnd = self.rounds.get(rid)
            return None if rnd is None else rnd.detail()

    def mine(self, device):
        """{round id: [i, ...]} of this device's requests."""
        with self.lock:
            return {rid: list(rnd.by_device[device]) for rid, rnd in self.rounds.items()
                    if device in rnd.by_device}

    def shutdown(self):
        with self.lock:
            self.closed = True
            going = [r for r in self.rounds.values() if r.status in LIVE]
        for rnd in going:
            self.end(rnd, "cancelled: the app is stopping")
        for thread in list(self.threads):
            thread.join(20)  # blocking
        for rnd in going:
            with self.lock:
                server, rnd.server = rnd.server, None
            if server is not None:
                server.stop()  # blocking
