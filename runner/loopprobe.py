"""How late the event loop is: a short periodic timer inside every asyncio loop the demo runs.

The runner's hooks patch `BaseEventLoop.run_forever` (asyncio.run ends up there), so the demo
file is unchanged. While a loop runs, its probe re-arms a timer every PERIOD seconds and notes how
late each one fired. The sampler (runner/sampler.py, another thread) reads `lag()`: the worst
lateness since its last read, and how long a timer not yet fired is overdue (how long the loop
has been stopped so far), so a blocked loop can show on the slide while it is still blocked.

Probes only attach in the runner's own process, once the sampler switched them on (children
install the same patch from runner/_boot but have nobody to read them).
"""
import threading
import time

PERIOD = 0.01  # seconds between the probe's timers

enabled = False
_probes = set()
_probes_lock = threading.Lock()
_ended = 0.0  # the lateness that loops which stopped since the last read left unread (a stall
# that lasted until its loop ended would otherwise never be told)


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
        """(the worst lateness of the timers fired since the last read, how long the timer not
        yet fired is overdue), both >= 0."""
        with self.lock:
            worst, self.worst = self.worst, 0.0
            return worst, max(now - self.due, 0.0)

    def close(self):
        """Stop the timer; returns the lateness nobody has read yet: the worst since the last
        read, or how overdue the timer is (a stall the loop ended in)."""
        self.handle.cancel()
        return max(self.read(time.perf_counter()))


def lag(now):
    """(fired, overdue) as LoopProbe.read, the worst of each over the running loops, or None
    when no loop runs."""
    global _ended
    with _probes_lock:
        probes, ended, _ended = list(_probes), _ended, 0.0
    reads = [probe.read(now) for probe in probes]
    if not reads and not ended:
        return None
    return max([ended] + [fired for fired, _ in reads]), max([0.0] + [o for _, o in reads])


def patch(asyncio):
    """Wrap run_forever so each run of a loop carries a probe (once; a no-op until enabled)."""
    base = asyncio.base_events.BaseEventLoop
    original = base.run_forever
    if getattr(original, "probed", False):
        return

    def run_forever(self):
        global _ended
        if not enabled:
            return original(self)
        probe = LoopProbe(self)
        with _probes_lock:
            _probes.add(probe)
        try:
            return original(self)
        finally:
            overdue = probe.close()
            with _probes_lock:
                _probes.discard(probe)
                _ended = max(_ended, overdue)

    run_forever.probed = True
    base.run_forever = run_forever
