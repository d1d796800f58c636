"""RunManager: one run at a time, each one `python -m runner DEMO --json ...` in a process
group of its own, its lines relayed (stored, then broadcast) by one thread per run.

A crash, a hang (killed at its timeout), a dead slow server or a cancel all end the run with a
status and, where it helps, a run-level error; nothing here can take the app down.
"""
import logging
import math
import signal
import sys
import tempfile
import threading
import time

from runner import serve
from runner.catalog import DEMOS, validate
from runner.params import PARAMS

from live import wire
from live.hub import encode
from live.relay import LineReader, Run, parse_line, spawn, tail

KILL_AFTER = 2.0  # seconds between SIGTERM and SIGKILL
ORPHAN_GRACE = 2.0  # seconds to wait for EOF once the runner exited (a grandchild may hold stdout)
TIMEOUT_GRACE = 3.0  # the runner enforces --timeout itself; we kill it this much later
TIMED_OUT = 3  # the runner's exit status for a run that hit its timeout
FLAGS = tuple(name for name in PARAMS if name != "timeout")  # the limit is ours: `limit`
LINGER = 0.05  # seconds a burst of the runner's lines may gather, so they share one frame
log = logging.getLogger(__name__)


class Busy(Exception):
    """A run is already going."""


class NotRunning(Exception):
    """Nothing to cancel."""


class RunManager:
    """Starts, relays and cancels runs of the demo engine's runner."""

    def __init__(self, store, hub, servers, timeout=120.0, default_workers=3, pythons=None,
                 finished=None):
        self.store, self.hub, self.servers = store, hub, servers
        self.pythons = {k: v for k, v in (pythons or {}).items() if v}  # need -> interpreter
        self.finished = finished  # called with a run's id after its run_end (cache warming)
        self.timeout, self.default_workers = timeout, default_workers
        self.lock = threading.Lock()
        self.active = None
        self.threads = []

    def params(self, demo_id, raw):
        """Clean parameters (ParamError, UnknownDemo); `workers` defaults to the app's --workers."""
        if isinstance(raw, dict) and raw.get("workers") is None:
            raw = {**raw, "workers": self.default_workers}
        return validate(demo_id, raw)

    def start(self, demo_id, panel, raw):
        """Validate, take the one run slot (Busy if taken), announce run_start; returns the id."""
        params = self.params(demo_id, raw)
        with self.lock:
            if self.active is not None:
                raise Busy(f"run {self.active.id} is still going")
            self.active = run = Run(None, demo_id, panel, params)
        try:
            run.encoder = wire.Encoder(wire.unit_for(ideal(run)))
            run.id = self.store.create_run(demo_id, panel, params, run.encoder.unit)
            self.publish(run, {"type": "run_start", "demo": demo_id, "panel": panel,
                               "params": params, "unit": run.encoder.unit})
            thread = threading.Thread(target=self.execute, args=(run,), name=f"run-{run.id}")
            thread.start()
        except BaseException:
            self.release(run)
            raise
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        return run.id

    def cancel(self):
        """Stop the active run (NotRunning if none); returns its id."""
        with self.lock:
            run = self.active
        if run is None or run.id is None:
            raise NotRunning("no run is going")
        run.stop("cancelled")
        return run.id

    def active_id(self):
        with self.lock:
            return None if self.active is None else self.active.id

    def release(self, run):
        with self.lock:
            if self.active is run:
                self.active = None

    def publish(self, run, event):
        """Store, then broadcast, one event of `run`."""
        return self.publish_all(run, [event])

    def live_detail(self, run_id):
        """The compact detail (JSON text) of the run going on, or None: for a hello, under the
        hub's lock, so it matches the hello's seq exactly."""
        with self.lock:
            run = self.active
        if run is None or run.id != run_id or run.encoder is None:
            return None
        found = self.store.summary(run_id)
        if found is None:
            return None
        head = {**found, "last_seq": run.last_seq, "layout": wire.LAYOUT,
                "names": dict.fromkeys(run.encoder.tables, 0)}
        return encode(head)[:-1] + ',"ev":[' + ",".join(run.records) + "]}"

    def publish_all(self, run, events):
        """Store, then broadcast, events of `run` (one commit, one batch per socket)."""
        return self.hub.publish_all([{**event, "run": run.id} for event in events],
                                    persist=self.store.save_events,
                                    wire=lambda stamped: self.wire(run, stamped))

    def wire(self, run, stamped):
        """The messages that carry `stamped` (hub lock held): the run's lifecycle as it is, its
        other events as compact records, consecutive ones in one `ev` message. The records are
        also kept (as text) for the hellos of late joiners."""
        out, group = [], []
        for event in stamped + [None]:
            if event is not None and wire.compact(event["type"]):
                group.append(event)
                continue
            if group:
                message = run.encoder.frame(run.id, group)
                run.records.extend(encode(record)
                                   for record in wire.rechain(message["ev"], run.chain))
                out.append(message)
                group = []
            if event is not None:
                out.append(event)
        run.last_seq = stamped[-1]["seq"]
        return out

    def error(self, run, message):
        """A run-level error (i null) shown on the slide."""
        run.errors += 1
        self.publish(run, {"type": "error", "i": None, "message": message})

    def execute(self, run):
        """The run's thread: run it, then always end it with run_end and free the slot."""
        started = time.perf_counter()
        try:
            try:
                status = self.perform(run)
            except Exception as exc:  # the app keeps serving whatever went wrong here
                log.exception("run %s failed", run.id)
                self.error(run, f"internal error: {type(exc).__name__}: {exc}")
                status = "failed"
            end = run.end or {}
            total = end.get("total")
            self.publish(run, {
                "type": "run_end", "status": status,
                "total": round(time.perf_counter() - started, 6) if total is None else total,
                "ideal": end.get("ideal") if end.get("ideal") is not None else ideal(run)})
        finally:
            self.release(run)
        self.warm(run)

    def warm(self, run):
        """Tell `finished` (the cache) about a run that ended, once its slot is free."""
        if self.finished is None:
            return
        try:
            self.finished(run.id)
        except Exception:  # a cache that cannot build is no reason to lose the thread's report
            log.exception("run %s: could not cache its answers", run.id)

    def perform(self, run):
        """Make sure a slow server is up, spawn the runner, relay it; returns the status."""
        url = None
        if needs_url(run):
            try:
                url = self.servers.url(run.params["workers"])  # blocking
            except (serve.ServerError, OSError) as exc:
                self.error(run, f"the slow server did not start: {exc}")
                return "failed"
        if run.reason:
            return run.reason
        limit = min(run.params["timeout"], self.timeout)
        with tempfile.TemporaryFile() as stderr:
            need = DEMOS[run.demo].python  # another interpreter, if the app has it
            other = [self.pythons[need]] if need in self.pythons else []
            run.attach(spawn(command(run, url, limit, *other), stderr))
            code = self.relay(run, limit)
            status = self.status(run, code, limit, tail(stderr))
        if url and status in ("cancelled", "timeout"):
            self.servers.retire(run.params["workers"])
        return status

    def relay(self, run, limit):
        """Relay the runner's lines until EOF; enforce the time limit; returns the exit code."""
        reader = LineReader(run.process.stdout)
        started = time.perf_counter()
        exited_at = None
        code = None
        try:
            while not reader.eof:
                self.relay_lines(run, reader.read(0.25, LINGER))  # blocking
                now = time.perf_counter()
                if now - started > limit + TIMEOUT_GRACE:
                    run.stop("timeout")
                if run.signalled_at is not None and now - run.signalled_at > KILL_AFTER:
                    with run.lock:
                        run.signal(signal.SIGKILL)
                if exited_at is None and run.exited():
                    exited_at = now
                if exited_at is not None and now - exited_at > ORPHAN_GRACE:
                    break
        finally:
            reader.close()
            run.process.stdout.close()
            code = run.reap()  # also when relaying failed: no runner outlives its run
        return code

    def relay_lines(self, run, lines):
        """Relay the events among `lines` (whatever arrived in one read) together."""
        parsed = [parse_line(line) for line in lines]
        for line, event in zip(lines, parsed):
            if event is None:
                log.warning("run %s: ignored a line that is not an event: %.200s", run.id, line)
        events = [event for event in parsed if self.keep(run, event)]
        if events:
            self.publish_all(run, events)

    def keep(self, run, event):
        """Should `event` be relayed now? (A runner's run_end waits for its exit status.)"""
        if event is None or event["type"] == "run_start":  # ours went out when the run started
            return False
        if event["type"] == "run_end":
            run.end = event
            return False
        run.errors += event["type"] == "error"
        return True

    def status(self, run, code, limit, stderr_tail):
        """done, failed, timeout or cancelled, with a run-level error when none explains it."""
        if run.reason == "cancelled":
            return "cancelled"
        if run.reason == "timeout":
            self.error(run, f"timed out: killed after {limit:g} s")
            return "timeout"
        if code == 0:
            return "done"
        if code == TIMED_OUT:
            return "timeout"  # the runner enforced --timeout itself and said so
        if run.end is None or run.errors == 0:
            self.error(run, f"the runner exited with status {code}: {stderr_tail}")
        return "failed"

    def wait(self, timeout=10.0):
        """Wait for the run threads to finish (tests, shutdown)."""
        for thread in list(self.threads):
            thread.join(timeout)  # blocking

    def close(self):
        """Cancel the active run and wait for it to end."""
        try:
            self.cancel()
        except NotRunning:
            pass
        self.wait()


def needs_url(run):
    """Client demos talk to our embedded gunicorn, unless they start an asyncio server or a
    rate-limited one (the runner starts it, with a full token bucket, for that run alone)."""
    return (DEMOS[run.demo].kind == "client" and run.params["server"] == "gunicorn"
            and not run.params["rate"])


def command(run, url, limit, python=sys.executable):
    """The runner's command line (a demo that needs another interpreter runs under it; without
    one, the runner itself says what is missing)."""
    argv = [python, "-m", "runner", run.demo, "--json", "--timeout", f"{limit:g}"]
    for name in FLAGS:
        argv += [f"--{name}", str(run.params[name])]
    return argv + (["--url", url] if url else [])


def ideal(run):
    """The catalog's ideal total, when the runner did not say."""
    try:
        value = DEMOS[run.demo].ideal(run.params)
    except (ArithmeticError, ValueError):
        return None
    return round(value, 6) if math.isfinite(value) else None
