"""How late the event loop is: a short periodic timer inside every asyncio loop the demo runs.

The runner's hooks patch `BaseEventLoop.run_forever` (asyncio.run ends up there), so the demo
file is unchanged. While a loop runs, its probe re-arms a timer every PERIOD seconds and, when
one fires LATE or later, tells the sampler at once from the loop's own thread: that stall ended,
and this is its whole length. It also tells when the loop starts (a strip that stays flat is
news too: the loop was never late) and a stall the loop ended in.

A stall still going on cannot be told from inside (the loop is stopped): each probe writes when
its next timer is due into a slot of `shared`, memory the sampler's process shares, which looks
at it every tick (runner/watcher.py) and tells how overdue it is while it lasts.

Probes only attach in the runner's own process, once the sampler switched them on (children
install the same patch from runner/_boot but have nobody to tell).
"""
import os
import struct
import threading
import time
import weakref

PERIOD = 0.01  # seconds between the probe's timers
LATE = 0.01  # seconds: a timer at least this late is told
SLOTS = 16  # loops at once whose stall in progress can be watched (the rest still tell theirs)
SLOT = struct.Struct("d")  # a perf_counter time; 0.0 marks a free slot

_report = None  # report(now, lag): set by the sampler while it runs
_owner = None  # the runner's pid: a forked child's loops (a copy of all this) tell nobody
_shared = None  # SLOTS doubles, shared with the sampler's process
_free = []
_lock = threading.Lock()
_started = weakref.WeakSet()  # loops whose start was told (asyncio.run runs its loop 3 times)


def enable(report, shared):
    """Probe every loop that starts from now on; tell `report(now, lag)` (None: stop)."""
    global _report, _shared, _owner
    with _lock:
        _report, _shared, _owner = report, shared, os.getpid()
        _free[:] = list(range(SLOTS)) if shared is not None else []


def take_slot():
    with _lock:
        return (_free.pop(0), _shared) if _free else (None, None)


def give_back(slot, shared):
    if slot is None:
        return
    SLOT.pack_into(shared, slot * SLOT.size, 0.0)
    with _lock:
        if shared is _shared:
            _free.append(slot)


class LoopProbe:
    """The timer of one running loop: when it is due, and who hears of a late one."""

    def __init__(self, loop, report):
        self.loop, self.report = loop, report
        self.slot, self.shared = take_slot()
        now = time.perf_counter()  # CLOCK_MONOTONIC, like the loop's own clock and the sampler's
        self.arm(now)
        with _lock:
            first = loop not in _started
            _started.add(loop)
        if first:
            report(now, 0.0)  # the loop runs: its strip starts here

    def arm(self, now):
        self.due = now + PERIOD
        if self.slot is not None:  # one aligned 8-byte store: the watcher reads it whole
            SLOT.pack_into(self.shared, self.slot * SLOT.size, self.due)
        self.handle = self.loop.call_later(PERIOD, self.fire)

    def tell_if_late(self, now):
        if now - self.due >= LATE:
            self.report(now, now - self.due)

    def fire(self):
        now = time.perf_counter()
        self.tell_if_late(now)  # a stall that ended: its whole length
        self.arm(now)

    def close(self):
        """Stop the timer; tell a stall the loop ended in (its timer overdue)."""
        self.handle.cancel()
        give_back(self.slot, self.shared)
        self.tell_if_late(time.perf_counter())


def patch(asyncio):
    """Wrap run_forever so each run of a loop carries a probe (once; a no-op until enabled)."""
    base = asyncio.base_events.BaseEventLoop
    original = base.run_forever
    if getattr(original, "probed", False):
        return

    def run_forever(self):
        report = _report
        if report is None or os.getpid() != _owner:
            return original(self)
        probe = LoopProbe(self, report)
        try:
            return original(self)
        finally:
            probe.close()

    run_forever.probed = True
    base.run_forever = run_forever
