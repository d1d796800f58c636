"""Who is on the CPU, and how late the event loop is: one thread of the runner samples both.

Every INTERVAL it reads the CPU time of each thread of the runner's process (the demo runs
there) and of each child process the demo started, and turns it into `cpu` events:
{"type": "cpu", "t": end, "actor": name, "busy": CPU s / wall s, "dt": wall s}, one actor's
share of a core over [t - dt, t]. Actors are named as in the spans: a thread's name, "pid N" for
a child process (all its threads together, so up to one per thread it runs).

CPU times come from the kernel's per-thread and per-process CPU clocks (clock_gettime on the
clock id of a thread or process, see `thread_clock`): the same nanosecond counter as
/proc/<pid>/task/<tid>/schedstat, one system call instead of opening a file (about 1 µs
against 13 µs here), and nothing to parse.

To keep the bytes low (docs/BENCHMARKS.md, "Inside a run: bytes on the compact wire") a lane
weighs its actor's samples two at a time, and an actor is only reported while it uses the CPU:
- busy readings (QUIET or more) whose share stays within TOL of the event's mean merge into one
  event of up to HOLD seconds; a reading under IDLE ends it;
- quiet ones (from IDLE to QUIET) merge into one event of up to QUIET_HOLD seconds, idle
  readings between them included, at their mean share; one whose CPU is under IDLE of a core
  over QUIET_HOLD (a waiting client's few milliseconds per request) is not sent, unless it
  goes on from an event that was.
Events wait in the collector for the run's next line (runner/collect.py, FLUSH), so a lane shows
up on the slide about 0.3 s late at most (a loop sample about a second).

While an asyncio loop runs (runner/loopprobe.py), each sample also reads how late its timer is
and how many requests are in flight, and sends {"type": "loop", "t", "lag", "in_flight"} when
the count changed, when a timer fired LATE or later (a stall that ended: its whole length), and
every GROW seconds while a stall goes on (so it grows on the slide while the loop is stopped).

The sampler keeps its own cost under BUDGET of one core: when reading every clock takes longer
(thousands of threads), it samples less often.
"""
import argparse
import json
import os
import sys
import threading
import time

from runner import loopprobe, trace

INTERVAL = 0.02  # seconds between samples
IDLE = 0.05  # below this share of a core an actor did nothing worth a lane (a sliver of 1 px)
TOL = 0.15  # merge readings whose share stays this close to the event's mean
HOLD = 0.25  # seconds: the longest busy event
QUIET = 0.25  # under this share (3 px of a 12 px lane) readings are quiet: they merge, gaps and all
QUIET_HOLD = 0.5  # seconds: the longest quiet event
LATE = 0.01  # seconds: a loop timer at least this late is reported
GROW = 1.0  # seconds: how often a stall still going on is reported
BUDGET = 0.015  # the sampler's own CPU, as a share of one core


def interval_flag(text):
    """The runner's --sample: 0 (off) or 0.005 to 1 seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (value == 0 or 0.005 <= value <= 1):  # NaN too
        raise argparse.ArgumentTypeError(f"must be 0 (off) or 0.005 to 1 seconds, got {text!r}")
    return value


def thread_clock(tid):
    """The clock id of a thread's CPU time (Linux: MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED))."""
    return (~tid << 3) | 4 | 2


def process_clock(pid):
    """The clock id of a process's CPU time, all its threads (MAKE_PROCESS_CPUCLOCK)."""
    return (~pid << 3) | 2


def cpu_seconds(clock):
    """CPU seconds on that clock, or None once its thread or process is gone."""
    try:
        return time.clock_gettime_ns(clock) / 1e9
    except OSError:
        return None


class Lane:
    """One actor: its last reading, and the event it is building: from `start` to `end` (the
    end of its last reading of IDLE or more), `used` CPU seconds, `quiet` if it began under
    QUIET, and `tail`, the CPU of the idle readings after `end` (counted if it goes on).

    A lane weighs its samples two at a time (`held` keeps the first of a pair): two threads
    that share the GIL read about 1/3 and 2/3 of a core in turn, since the sampler waits for
    the GIL too, and over two samples they are what they are, half a core each."""

    __slots__ = ("name", "cpu", "at", "held", "start", "end", "used", "quiet", "tail", "shown")

    def __init__(self, name, cpu, at):
        self.name, self.cpu, self.at = name, cpu, at
        self.held = self.start = self.shown = None  # shown: the end of the last event sent

    def share(self):
        return self.used / (self.end - self.start)

    def add(self, cpu, now):
        """Take a new sample; returns the events it closed (a list)."""
        if self.held is None:
            self.held = (cpu, now)
            return []
        self.held = None
        return [self.weigh(cpu, now)]

    def weigh(self, cpu, now):
        """A reading over two samples (or the last one); returns the event it closed, if any."""
        used, began = cpu - self.cpu, self.at
        self.cpu, self.at = cpu, now
        busy = used / (now - began) if now > began else 0.0
        closed = None
        if self.start is not None and (
                (busy >= QUIET or now - self.start > QUIET_HOLD) if self.quiet else
                (busy < IDLE or abs(busy - self.share()) > TOL or now - self.start > HOLD)):
            closed = self.finish()
        if self.start is not None:  # goes on: a quiet event over idle readings too
            self.tail += used
            if busy >= IDLE:
                self.end, self.used, self.tail = now, self.used + self.tail, 0.0
        elif busy >= IDLE:
            self.start, self.end, self.used, self.tail = began, now, used, 0.0
            self.quiet = busy < QUIET
        return closed

    def close(self):
        """The events still open, the held sample weighed first (the actor ended, or the
        run): a list."""
        closed = [] if self.held is None else [self.weigh(*self.held)]
        self.held = None
        return closed + [self.finish()]

    def finish(self):
        """The event built so far (as perf_counter times), and start afresh; None if there is
        none, or if it is quiet, its CPU under IDLE of a core over QUIET_HOLD, and it does not
        go on from an event sent: a waiting thread's few milliseconds of CPU per request are
        no lane."""
        if self.start is None:
            return None
        event = (self.name, self.start, self.end, self.share())
        faint = self.quiet and self.used < IDLE * QUIET_HOLD and self.start != self.shown
        self.start = None
        if faint:
            return None
        self.shown = event[2]
        return event


class Sampler:
    """The sampling thread. `watch(pid)` adds a child process; `stop()` flushes and ends it."""

    def __init__(self, collector, interval=INTERVAL, exclude=()):
        self.collector, self.interval = collector, interval
        self.exclude = set(exclude)  # the runner's own threads: not the demo's
        self.lanes = {}
        self.children = set()
        self.done = threading.Event()
        self.ticking = threading.Lock()  # one tick at a time: the thread's, or stop()'s last
        self.thread = threading.Thread(target=self.run, name="cpu-sampler", daemon=True)
        self.exclude.add(self.thread)
        self.loop_sent = None  # the count in flight last sent while a loop runs
        self.stall = 0.0  # how overdue the timer was when the stall going on was last reported
        self.until = None
        self.last_tick = None  # perf_counter of the tick before, once there was one
        self.ticks, self.cost, self.wall = 0, 0.0, 0.0

    def start(self):
        loopprobe.enabled = True
        self.began = time.perf_counter()
        self.thread.start()
        return self

    def watch(self, pid):
        if pid != os.getpid():
            self.children.add(pid)  # set.add is atomic: called from the trace receiver

    def run(self):
        period = self.interval
        while True:
            time.sleep(period)  # blocking; cheaper to wake from than Event.wait
            with self.ticking:
                if self.done.is_set():
                    break
                spent = time.thread_time()
                self.tick()
                period = max(self.interval, (time.thread_time() - spent) / BUDGET)
        self.cost += time.thread_time()  # all this thread ever used, waits and writes included

    def stop(self, until=None):
        """The last sample, every event still open, and the thread's end; `until` is the run's
        end (perf_counter): no event reaches past it. The last sample is taken here at once,
        not after the thread's sleep, so its lines follow the run's last span closely (and
        usually share its frame)."""
        with self.ticking:  # blocking (one tick at most)
            self.until = until
            self.done.set()
            loopprobe.enabled = False
            spent = time.thread_time()
            self.tick()
            self.emit([e for lane in self.lanes.values() for e in lane.close()], [])
            self.collector.flush()
            self.cost += time.thread_time() - spent
        if self.thread.ident is not None:
            self.thread.join()  # blocking (the rest of one period)
        self.wall = time.perf_counter() - self.began
        if os.environ.get("RUNNER_SAMPLER_REPORT"):  # bench/inside.py measures our own cost
            print("sampler " + json.dumps(self.report()), file=sys.stderr)

    def tick(self):
        self.ticks += 1
        now = time.perf_counter()
        # A thread first seen after the first tick began since the last one: all its CPU so far
        # belongs to this interval (busy threads hold the GIL, and the sampler may wait for it).
        # Not a child process: it may have run a while (its imports) before it was watched.
        born = (0.0, self.last_tick) if self.last_tick is not None else None
        self.last_tick = now
        closed, seen = [], set()
        for key, name, clock in self.actors():
            cpu = cpu_seconds(clock)
            if cpu is None:  # ended between the listing and the reading
                continue
            seen.add(key)
            lane = self.lanes.get(key)
            if lane is None:
                self.lanes[key] = Lane(name, *(born if born and key[0] == "t" else (cpu, now)))
            else:
                closed += lane.add(cpu, now)
        for key in self.lanes.keys() - seen:  # an actor that ended: its last event, if any
            closed += self.lanes.pop(key).close()
            self.children.discard(key[1])
        self.emit(closed, self.sample_loop(now))

    def actors(self):
        """(key, actor name, CPU clock id) of every thread of the demo and every child."""
        threads = [(("t", t.native_id), t.name, thread_clock(t.native_id))
                   for t in threading.enumerate() if t not in self.exclude and t.native_id]
        return threads + [(("p", pid), f"pid {pid}", process_clock(pid))
                          for pid in list(self.children)]

    def sample_loop(self, now):
        """The loop event to send now, if any: when the count in flight changed, when a timer
        fired LATE or later (a stall that ended: its whole length), and while a stall goes on,
        every GROW seconds of it."""
        read = loopprobe.lag(now)
        if read is None:
            self.loop_sent, self.stall = None, 0.0
            return []
        fired, overdue = read
        flying = trace.in_flight()
        stalled = overdue >= LATE and fired < LATE
        if not stalled:
            self.stall = 0.0
        if self.loop_sent == flying and fired < LATE:
            if not stalled or overdue < self.stall + GROW:
                return []
        if stalled:
            self.stall = overdue
        self.loop_sent = flying
        return [{"type": "loop", "t": self.since(min(now, self.until or now), 3),
                 "lag": round(max(fired, overdue), 4), "in_flight": flying}]

    def since(self, t, digits):
        return round(t - self.collector.t0, digits)

    def emit(self, closed, loop):
        until = self.until or float("inf")
        events = [{"type": "cpu", "t": self.since(min(end, until), 3), "actor": name,
                   "busy": round(busy, 2), "dt": round(min(end, until) - min(start, until), 3)}
                  for name, start, end, busy in filter(None, closed)]
        events = [event for event in events if event["dt"] > 0]
        self.collector.hold(events + loop, time.perf_counter())

    def report(self):
        """The sampler's own cost: {"ticks", "cpu_s", "wall_s", "share"} (for bench/inside.py)."""
        return {"ticks": self.ticks, "cpu_s": round(self.cost, 6), "wall_s": round(self.wall, 6),
                "share": round(self.cost / self.wall, 6) if self.wall else None}
