"""Finished runs' GET /api/runs/<id> answers, built once and kept: a finished run never changes.

Each entry holds the JSON bytes of one form (readable or compact) and, built on first demand
and then kept, their brotli and gzip encodings (well-kept libraries, never per request).
A run that many clients ask for at once is built by one of them while the others wait for it
(never under a lock the room shares). Entries are dropped oldest first past a byte budget.
"""
import gzip
import hashlib
import json
import threading
import time
from collections import OrderedDict

import brotli

from live import wire
from live.store import FINAL, MAX_ID

BUDGET = 96 * 1024 * 1024  # bytes of cached answers, all encodings together
ENCODERS = {
    "br": lambda body: brotli.compress(body, quality=5),  # fast, and still ~gzip -9 or better
    "gzip": lambda body: gzip.compress(body, compresslevel=6, mtime=0),
}
FORMATS = ("json", "compact")
CHUNK = 64 * 1024  # bytes sent between two turns of the pacer
REQUEST_COST = 16 * 1024  # bytes of the room's rate every answer costs, however small
CLIENT_REQUEST_COST = 256 * 1024  # ... and of its client's: at most ~30 answers/s per client


class Pacer:
    """A byte rate: past a burst, each chunk waits its turn (a sleeping thread costs no CPU)."""

    def __init__(self, rate, burst):
        self.rate, self.burst = float(rate), float(burst)
        self.lock = threading.Lock()
        self.free_at = time.monotonic()

    def wait(self, size):
        with self.lock:
            now = time.monotonic()
            self.free_at = max(self.free_at, now - self.burst / self.rate) + size / self.rate
            delay = self.free_at - now
        if delay > 0:
            time.sleep(delay)  # blocking: pacing, not synchronising


class Pacers:
    """One byte rate for every reader of runs together, and a lower one per client address, so
    clients looping on a big run cannot take the CPU the room needs (each answer also costs a
    minimum, which bounds the rate of small ones). Both far above what a venue's Wi-Fi
    carries; a room behind one NAT shares one client rate (CLIENT_RATE, 8 MB/s)."""

    def __init__(self, rate, burst, client_rate=8e6, client_burst=2e6, clients=4096):
        self.room = Pacer(rate, burst)
        self.client_rate, self.client_burst, self.clients = client_rate, client_burst, clients
        self.lock = threading.Lock()
        self.by_client = OrderedDict()

    def client(self, address):
        with self.lock:
            pacer = self.by_client.pop(address, None) or Pacer(self.client_rate,
                                                               self.client_burst)
            self.by_client[address] = pacer
            while len(self.by_client) > self.clients:
                self.by_client.popitem(last=False)
            return pacer

    def charge(self, address):
        """Wait for the turn every answer costs, however small; returns the client's pacer."""
        mine = self.client(address)
        mine.wait(CLIENT_REQUEST_COST)
        self.room.wait(REQUEST_COST)
        return mine

    def paced(self, body, address):
        """`body` in chunks, each after its turn on both rates."""
        mine = self.charge(address)
        for start in range(0, len(body), CHUNK):
            piece = body[start:start + CHUNK]
            mine.wait(len(piece))
            self.room.wait(len(piece))
            yield piece


def dumps(value):
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


class Entry:
    """One run in one form: its bytes per content coding ("identity", "br", "gzip")."""

    def __init__(self, body, tag):
        self.bodies = {"identity": body}
        self.etag = tag
        self.lock = threading.Lock()

    def body(self, coding):
        """The bytes for `coding`, encoded the first time they are asked for."""
        found = self.bodies.get(coding)
        if found is None:
            with self.lock:
                found = self.bodies.get(coding)
                if found is None:
                    found = self.bodies[coding] = ENCODERS[coding](self.bodies["identity"])
        return found

    def size(self):
        return sum(len(body) for body in self.bodies.values())


class RunCache:
    """(run id, form) -> Entry for finished runs; answers for a running run are built fresh."""

    def __init__(self, store, budget=BUDGET, rate=32e6, burst=4e6):
        self.store, self.budget = store, budget
        self.pacer = Pacers(rate, burst)
        self.lock = threading.Lock()  # the table only; never held while building
        self.entries = OrderedDict()
        self.building = {}  # key -> Event set when the entry is in

    def peek(self, run_id, form):
        """The cached entry or None (memory only: safe under any lock)."""
        with self.lock:
            entry = self.entries.get((run_id, form))
            if entry is not None:
                self.entries.move_to_end((run_id, form))
            return entry

    def get(self, run_id, form):
        """The entry for a run in `form`, built if needed; None for an unknown run. A run that is
        still going gets a fresh, uncached entry."""
        found = self.store.summary(run_id) if 0 <= run_id <= MAX_ID else None
        if found is None:
            return None
        if found["status"] not in FINAL:
            return self.build(run_id, form)
        while True:
            entry = self.peek(run_id, form)
            if entry is not None:
                return entry
            with self.lock:
                done = self.building.get((run_id, form))
                mine = done is None
                if mine:
                    done = self.building[(run_id, form)] = threading.Event()
            if not mine:
                done.wait(30)  # blocking: another request is building it
                continue
            try:
                entry = self.build(run_id, form)
                self.keep((run_id, form), entry)
                return entry
            finally:
                with self.lock:
                    self.building.pop((run_id, form), None)
                done.set()

    def build(self, run_id, form):
        """Read the run (a read connection of its own) and encode it in `form`."""
        if form == "compact":
            found = self.store.summary(run_id)
            events = self.store.events(run_id)
            value = wire.detail(found, events, max((e["seq"] for e in events), default=None))
        else:
            value = self.store.run(run_id)
        body = dumps(value)
        tag = hashlib.blake2b(body, digest_size=12).hexdigest()
        return Entry(body, f'"{self.store.epoch}-{tag}"')

    def keep(self, key, entry):
        with self.lock:
            self.entries[key] = entry
            total = sum(e.size() for e in self.entries.values())
            while total > self.budget and len(self.entries) > 1:
                _, dropped = self.entries.popitem(last=False)
                total -= dropped.size()

    def warm(self, run_id):
        """Build a finished run's entries now (the run's own thread, after its run_end)."""
        for form in FORMATS:
            self.get(run_id, form)
