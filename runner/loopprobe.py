"""How late the event loop is: a short periodic timer inside every asyncio loop the demo runs.

The runner's hooks patch `BaseEventLoop.run_forever` (asyncio.run ends up there), so the demo
file is unchanged. While a loop runs, its probe re-arms a timer every PERIOD seconds and notes how
late each one fired. The sampler (runner/sampler.py, another thread) reads `lag()`: the worst
lateness since its last read, or, while a timer is overdue, how long the loop has been stopped
so far, so a blocked loop shows on the slide while it is still blocked.

Probes only attach in the runner's own process, once the sampler switched them on (children
install the same patch from runner/_boot but have nobody to read them).
"""
import threading
import time

PERIOD = 0.01  # seconds between the probe's timers

enabled = False
_probes = set()
_probes_lock = threading.Lock()


class LoopProbe:
    """The timer of one running loop, and the worst lateness seen since the last read."""

    def __init__(self, loop):
        self.loop = loop
        self.lock = threading.Lock()
        self.worst = 0.0
        self.due = time.perf_counter() + PERIOD
        self.handle = loop.call_later(PERIOD, self.fire)

    def fire(self):
        now = time.perf_counter()  # CLOCK_MONOTONIC, like the loop's own clock and the runner's
        with self.lock:
            self.worst = max(self.worst, now - self.due)
            self.due = now + PERIOD
        self.handle = self.loop.call_later(PERIOD, self.fire)

    def read(self, now):
        """The worst lateness since the last read, or the overdue time of a timer not yet fired."""
        with self.lock:
            worst, self.worst = self.worst, 0.0
            return max(worst, now - self.due, 0.0)

    def close(self):
        self.handle.cancel()


def lag(now):
    """The worst lag over the running loops, or None when no loop runs."""
    with _probes_lock:
        probes = list(_probes)
    return max((probe.read(now) for probe in probes), default=None)


def patch(asyncio):
    """Wrap run_forever so each run of a loop carries a probe (once; a no-op until enabled)."""
    base = asyncio.base_events.BaseEventLoop
    original = base.run_forever
    if getattr(original, "probed", False):
        return

    def run_forever(self):
        if not enabled:
            return original(self)
        probe = LoopProbe(self)
        with _probes_lock:
            _probes.add(probe)
        try:
            return original(self)
        finally:
            with _probes_lock:
                _probes.discard(probe)
            probe.close()

    run_forever.probed = True
    base.run_forever = run_forever
