"""Who is on the CPU, and how late the event loop is: the runner's side of the sampling.

`cpu` events: {"type": "cpu", "t": end, "actor": name, "busy": CPU s / wall s, "dt": wall s},
one actor's share of a core over [t - dt, t]. Actors are named as in the spans: a thread's
name, "pid N" for a child process (all its threads together, so up to one per thread it runs).
A process of the sampler's own reads them (runner/watcher.py): the runner forks it before the
demo starts, then tells it of each thread the demo starts (a hook on Thread's bootstrap) and
each child process that announces itself. Its events arrive on the trace socket.

`loop` events: {"type": "loop", "t", "lag", "in_flight"}: told by the loop's probe
(runner/loopprobe.py) when the loop starts, when a timer fired LATE or later (a stall that
ended: its whole length) and by the watcher while a stall goes on; `in_flight` is the count of
requests in flight when it is told (the queue strip draws that count all along, from the spans).
Events wait in the collector for the run's next line (runner/collect.py, FLUSH).
"""
import argparse
import gc
import json
import mmap
import os
import select
import signal
import threading
import time

from runner import loopprobe, trace, watcher

INTERVAL = 0.02  # seconds between samples
WAIT = 5.0  # seconds to wait for the watcher's last events before it is killed


def interval_flag(text):
    """The runner's --sample: 0 (off) or 0.005 to 1 seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (value == 0 or 0.005 <= value <= 1):  # NaN too
        raise argparse.ArgumentTypeError(f"must be 0 (off) or 0.005 to 1 seconds, got {text!r}")
    return value


class Sampler:
    """Starts the watcher; `watch(pid)` adds a child process; `stop()` flushes and ends it.

    `address` is the trace socket's (runner.collect.Receiver): the watcher's events come back
    there, and the collector hands them to `received`."""

    _announce = None  # the running sampler's announce(tid, name), for the Thread hook

    def __init__(self, collector, address, interval=INTERVAL):
        self.collector, self.address, self.interval = collector, address, interval
        self.child = self.orders = None
        self.pid = os.getpid()
        self.lock = threading.Lock()  # one writer at a time on the orders pipe
        self.running = False
        self.fork_s = self.relay_s = 0.0
        self.watcher_report = None

    def start(self):
        """Fork the watcher now, before the demo's imports: pages the runner fills after the
        fork are its own, while every page it shares with the watcher costs it a copy the first
        time it writes there (a fork inside the timed part added 1 % to a one-second run)."""
        self.shared = shared = mmap.mmap(-1, watcher.SHARED)  # MAP_SHARED: the fork sees it
        orders, self.orders = os.pipe()
        spent = time.thread_time()
        try:
            child = os.fork()
        except OSError:
            os.close(orders)
            os.close(self.orders)
            raise
        if child == 0:
            self.become_watcher(orders, shared)
        self.fork_s = time.thread_time() - spent
        self.child = child
        os.close(orders)
        self.running = True
        return self

    def begin(self):
        """The run's clock has started (collector.t0): sample from now on."""
        self.tell({"begin": self.collector.t0})
        self.tell({"thread": threading.get_native_id(), "name": threading.current_thread().name,
                   "born": False})  # the demo's main thread: its CPU so far is the runner's
        Sampler._announce = self.announce
        hook_threads()
        loopprobe.enable(self.loop_event, self.shared)
        self.collector.on_samples = self.received

    def become_watcher(self, orders, shared):
        """In the forked child: keep only the orders pipe (not the runner's stdout: the app must
        see it close when the runner ends), watch, and leave without the runner's clean-ups."""
        gc.freeze()  # the runner's objects: a collection here would touch (copy) every page of them
        status = 1
        try:
            os.dup2(orders, 3)
            os.closerange(4, os.sysconf("SC_OPEN_MAX"))
            watcher.serve(3, self.address, self.pid, self.interval, shared)
            status = 0
        finally:
            os._exit(status)

    def tell(self, order):
        with self.lock:
            if self.running:
                try:
                    os.write(self.orders, (json.dumps(order) + "\n").encode())  # atomic: < 4 KiB
                    watcher.count_order(self.shared)  # the watcher reads the pipe when it moved
                except OSError:
                    self.running = False  # the watcher is gone: the run goes on unsampled

    def announce(self, tid, name):
        if os.getpid() == self.pid:  # a forked child's threads are not ours to read
            self.tell({"thread": tid, "name": name[:200], "born": True})

    def watch(self, pid):
        """A child process of the demo (collector.on_child: it announced itself)."""
        if pid != self.pid:
            self.tell({"process": pid})

    def loop_event(self, now, lag):
        """From a loop probe, in the loop's thread: the loop started (lag 0) or was late."""
        if self.running:
            self.collector.hold([{"type": "loop", "t": round(now - self.collector.t0, 3),
                                  "lag": round(lag, 4), "in_flight": trace.in_flight()}], now)

    def received(self, message):
        """The watcher's datagram, in the trace receiver's thread."""
        spent = time.thread_time()
        events = message.get("events", [])
        for event in events:
            if event["type"] == "loop":  # a stall going on: the count is the runner's
                event["in_flight"] = trace.in_flight()
        self.collector.hold(events, time.perf_counter())
        if "report" in message:
            self.watcher_report = message["report"]
        self.relay_s += time.thread_time() - spent

    def stop(self, until=None):
        """The last samples, every lane still open, and the watcher's end; `until` is the
        run's end (perf_counter): no event reaches past it. Its last datagram is on the trace
        socket before this returns (the receiver's drain then reads it before run_end)."""
        loopprobe.enable(None, None)
        Sampler._announce = None
        self.tell({"stop": until})
        with self.lock:
            self.running = False
            os.close(self.orders)
        self.reap()

    def reap(self):
        """Wait for the watcher (a tick and its last datagram), WAIT seconds at most."""
        try:
            ended = os.pidfd_open(self.child)
        except OSError:
            return
        try:
            if not select.select([ended], [], [], WAIT)[0]:  # blocking
                os.kill(self.child, signal.SIGKILL)
            os.waitpid(self.child, 0)
        finally:
            os.close(ended)

    def kill(self):
        """The run is over at once (timed out): the watcher goes too, unheard."""
        if self.child:
            try:
                os.kill(self.child, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def report(self, receiver_s=None):
        """The sampling's own cost, for bench/inside.py: the watcher's CPU, the fork, and the
        runner's share of handling its datagrams (`receiver_s`: the trace receiver's whole
        CPU, when only the watcher sent to it, an upper bound)."""
        found = dict(self.watcher_report or {"ticks": 0, "cpu_s": 0.0, "wall_s": 0.0})
        found.update(fork_s=round(self.fork_s, 6), relay_s=round(self.relay_s, 6))
        if receiver_s is not None:
            found["receiver_s"] = round(receiver_s, 6)
        cost = found["cpu_s"] + found["fork_s"] + max(found["relay_s"], receiver_s or 0.0)
        found["share"] = round(cost / found["wall_s"], 6) if found["wall_s"] else None
        return found


def hook_threads():
    """Every thread started from now on announces itself to the running sampler (once)."""
    original = threading.Thread._bootstrap_inner
    if getattr(original, "announced", False):
        return

    def bootstrap_inner(self):
        announce = Sampler._announce
        if announce is not None:
            announce(threading.get_native_id(), self.name)
        original(self)

    bootstrap_inner.announced = True
    threading.Thread._bootstrap_inner = bootstrap_inner
