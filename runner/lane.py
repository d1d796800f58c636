"""One actor's lane: its CPU readings turned into few `cpu` events (runner/watcher.py reads them).

To keep the bytes low (docs/BENCHMARKS.md, "Inside a run: bytes on the compact wire") a lane
weighs its actor's samples two at a time, and an actor is only reported while it uses the CPU:
- busy readings (QUIET or more) whose share stays within TOL of the event's mean merge into one
  event of up to HOLD seconds; a reading under IDLE ends it;
- quiet ones (from IDLE to QUIET) merge into one event of up to QUIET_HOLD seconds, idle
  readings between them included, at their mean share; one whose CPU is under IDLE of a core
  over QUIET_HOLD (a waiting client's few milliseconds per request) is not sent, unless it
  goes on from an event that was.
"""
IDLE = 0.05  # below this share of a core an actor did nothing worth a lane (a sliver of 1 px)
TOL = 0.15  # merge readings whose share stays this close to the event's mean
HOLD = 0.25  # seconds: the longest busy event
QUIET = 0.25  # under this share (3 px of a 12 px lane) readings are quiet: they merge, gaps and all
QUIET_HOLD = 0.5  # seconds: the longest quiet event


class Lane:
    """One actor: its last reading, and the event it is building: from `start` to `end` (the
    end of its last reading of IDLE or more), `used` CPU seconds, `quiet` if it began under
    QUIET, and `tail`, the CPU of the idle readings after `end` (counted if it goes on).

    A lane weighs its samples two at a time (`held` keeps the first of a pair): a thread's CPU
    time, read from another process, moves in steps of a scheduler tick (4 ms here) or a switch
    of the GIL (5 ms), so two threads taking turns read about 1/3 and 2/3 of a core in one
    20 ms sample and the other way round in the next; over two they are what they are, half a
    core each."""

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
