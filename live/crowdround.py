"""One crowd round as data: its parameters, its requests (one per tap) and its counts.

Times are seconds since the round opened (its slow server answering), like a run's since its
start; workers are numbered 1, 2, ... in the order they first answered.
"""
import math
import time

from runner.catalog import rounds, server_slots

TIMES = ("client_start", "client_end", "server_start", "server_end")
LIVE = ("starting", "open", "closed")  # a round that may still change


class Round:
    def __init__(self, round_id, panel, params, status="starting", error=None, slide=None):
        self.id, self.panel, self.params = round_id, panel, params
        self.status, self.error, self.slide = status, error, slide
        self.t0 = None  # time.perf_counter() when it opened
        self.t_end = None  # seconds since t0 when it ended
        self.server = None
        self.requests = {}  # i -> {"i", "t", "device", span fields...}
        self.waiting = {}  # i -> the request's future
        self.in_flight = set()  # devices with a request waiting
        self.tapped = set()  # devices that tapped in this round
        self.workers = {}  # X-Worker -> its number
        self.next_i = 0
        self.unsent = []  # (request, statement) changed since the last batch
        self.cached = None  # the summary, once final
        self.by_device = {}  # device -> [i, ...]

    def elapsed(self):
        if self.t0 is None or self.t_end is not None:
            return self.t_end
        return round(time.perf_counter() - self.t0, 6)

    def stop_clock(self):
        self.t_end = self.elapsed()

    def add(self, device):
        """A new request for `device`; returns it."""
        request = {"i": self.next_i, "t": self.elapsed(), "device": device}
        self.requests[self.next_i] = request
        self.by_device.setdefault(device, []).append(self.next_i)
        self.next_i += 1
        self.in_flight.add(device)
        self.tapped.add(device)
        return request

    def answer(self, i, result):
        """Record request `i`'s result (perf_counter times); returns its public event."""
        request = self.requests[i]
        self.waiting.pop(i, None)
        self.in_flight.discard(request["device"])
        for name in TIMES:
            value = result.get(name)
            request[name] = None if value is None else round(value - self.t0, 6)
        worker = result.get("worker")
        if worker is not None and result.get("error") is None:
            request["worker_no"] = self.workers.setdefault(worker, len(self.workers) + 1)
        request["worker"] = worker
        request["error"] = result.get("error")
        return public(self.id, request)

    def load(self, stored):
        """Requests read back from the database (the round is over)."""
        for request in stored:
            self.requests[request["i"]] = request
            self.by_device.setdefault(request["device"], []).append(request["i"])
            if request.get("worker") and request.get("worker_no"):
                self.workers.setdefault(request["worker"], request["worker_no"])
        self.next_i = max(self.requests, default=-1) + 1

    def counts(self):
        answered = [r for r in self.requests.values() if r.get("client_end") is not None
                    and not r.get("error")]
        longest = max((r["client_end"] - r["client_start"] for r in answered), default=None)
        return {"count": len(self.requests), "waiting": len(self.waiting),
                "answered": len(answered),
                "failed": sum(1 for r in self.requests.values() if r.get("error")),
                "longest": None if longest is None else round(longest, 6)}

    def summary(self):
        """The round's summary; a finished round's is computed once (every hello carries it)."""
        if self.status in LIVE or self.cached is None or self.cached["status"] != self.status:
            self.cached = self.compute_summary()
        return self.cached

    def compute_summary(self):
        return {"round": self.id, "panel": self.panel, "params": self.params,
                "status": self.status, "error": self.error, "elapsed": self.elapsed(),
                "tapping": len(self.tapped) if self.status in LIVE else 0,
                "ideal": self.ideal(), **self.counts()}

    def ideal(self):
        """The longest wait if every tap came at once: ceil(count / slots) * delay."""
        count = len(self.requests)
        if not count:
            return None
        value = rounds(count, server_slots({**self.params})) * self.params["delay"]
        return round(value, 6) if math.isfinite(value) else None

    def detail(self):
        return {**self.summary(),
                "requests": [public(self.id, r) for _, r in sorted(self.requests.items())]}


def public(round_id, request):
    """What every screen may see of a request: never its device."""
    event = {"type": "crowd_error" if request.get("error") else "crowd_span",
             "round": round_id, "i": request["i"], "t": request.get("t")}
    for name in (*TIMES, "worker", "worker_no", "error"):
        if request.get(name) is not None:
            event[name] = request[name]
    if request.get("client_end") is None and not request.get("error"):
        event["type"] = "crowd_req"
    return event


def rows_message(round_id, requests):
    """Rows for every screen, compact: one message per batch however many taps it holds.
    waiting [i, t]; served [i, client_start, client_end, server_start, server_end, worker number];
    failed [i, client_start, client_end, error]. A row listed twice keeps its last state."""
    latest = {request["i"]: request for request in requests}
    waiting, served, failed = [], [], []
    for i, r in sorted(latest.items()):
        if r.get("error"):
            failed.append([i, r.get("client_start"), r.get("client_end"), r["error"]])
        elif r.get("client_end") is not None:
            served.append([i, r["client_start"], r["client_end"], r.get("server_start"),
                           r.get("server_end"), r.get("worker_no")])
        else:
            waiting.append([i, r.get("t")])
    return {"type": "crowd_rows", "round": round_id, "waiting": waiting, "served": served,
            "failed": failed}
