"""The sampler's own process: it reads the CPU time of the demo's threads and children.

Forked from the runner (runner/sampler.py) before the demo starts, so that its wake-ups never
wait for the demo's GIL: inside the demo's process, with two threads spinning, a wake-up cost
0.4 ms of CPU, most of it waiting for the GIL.

On these machines Python code right after a wake-up runs many times slower than in a loop (a
tick that takes 4 µs back to back took 100 µs more after a 10 ms sleep), so a tick only reads
and keeps the raw numbers: every DIGEST seconds they go through the lanes at once. It reads
- each thread that ran in the last digest, from /proc/<pid>/task/<tid>/schedstat (a thread's
  CPU clock can only be read from its own process), a file kept open and read at offset 0;
- each child process, from its CPU clock (clock_gettime on the clock id of a process);
- the orders pipe, only when the runner's count of orders (in `shared`) moved.
A digest also reads the threads that did not run: only when the demo's process used more than
the others explain (IDLE of a core), and every RESYNC seconds, so a hundred waiting threads
cost a reading or two a tick, not a hundred. A thread that just started counts as one that did
not run (a hundred that start and wait are not read every tick), so a spinning one is read
each tick from the first digest on; its readings until then make one. And it looks at the
loop probes' slots in `shared` (runner/loopprobe.py): a timer overdue by GROW or more is a
stall going on, told every GROW seconds of it, so it grows on the slide while the loop is
stopped.

Events go to the runner's trace socket as one datagram {"e": "samples", "events": [...]} per
digest that has any (the collector then holds them for a line to ride with, runner/collect.py).
Orders come on a pipe, one JSON object per line: {"begin": t0} (the run's clock starts: until
then the watcher waits on the pipe, at no cost), {"thread": tid, "name": n, "born": started
since the last tick}, {"process": pid}, {"stop": until}.
"""
import json
import os
import signal
import socket
import struct
import time

from runner import lifeline, loopprobe
from runner.cpuclock import (clock_ns, clock_seconds, parse_schedstat, pread, process_clock,
                             schedstat_seconds)
from runner.lane import IDLE, Lane

GROW = 1.0  # seconds: how often a stall still going on is told
DIGEST = 0.25  # seconds of readings kept raw before they go through the lanes
RESYNC = 1.0  # seconds: a thread that did not run is read at least this often
ORPHAN = 0.25  # seconds between two looks at whether the runner is still there
BATCH = 200  # events per datagram at most (a datagram is read with a 64 KiB buffer)

# The memory the runner shares with this process: the probes' slots, then its count of orders.
DUES = struct.Struct(f"{loopprobe.SLOTS}d")  # each probe's next timer
ORDERS = struct.Struct("Q")
SHARED = DUES.size + ORDERS.size


def count_order(shared):
    """The runner's side: one more order is on the pipe (lock held)."""
    ORDERS.pack_into(shared, DUES.size, ORDERS.unpack_from(shared, DUES.size)[0] + 1)


class Actor:
    """A thread (`fd`: its schedstat file) or a child process (`clock`), its lane, its CPU
    when last read, and whether it ran (IDLE of a core or more) in the last digest."""

    __slots__ = ("fd", "clock", "lane", "cpu", "at", "ran", "gone")

    def __init__(self, lane, fd=None, clock=None):
        self.fd, self.clock, self.lane = fd, clock, lane
        self.cpu, self.at, self.ran, self.gone = lane.cpu, lane.at, False, False  # see join

    def read(self):
        return schedstat_seconds(self.fd) if self.fd is not None else clock_seconds(self.clock)


class Watcher:
    def __init__(self, orders, address, pid, interval, shared):
        self.orders, self.address, self.pid = orders, address, pid
        self.interval, self.shared = interval, shared
        self.parent = os.getppid()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.clock = process_clock(pid)
        self.whole = None  # the demo process's CPU at the last digest
        self.actors = {}  # ("t", tid) or ("p", pid) -> Actor
        self.threads, self.fds = [], []  # read each tick: the threads that ran, their files
        self.processes, self.clocks = [], []  # and the children, their clocks
        self.rows, self.pending = [], []  # raw readings not digested, closed lanes not sent
        self.told = [None] * loopprobe.SLOTS  # per slot: (its due time, the stall last told)
        self.buffer, self.obeyed, self.until, self.stopping = b"", 0, None, False
        self.ticks = 0
        self.t0 = self.last = self.looked = self.digested = self.synced = None  # at begin

    def wait_for_begin(self):
        """Block on the orders pipe until the run begins; False if it never does (stopped, or
        the runner is gone)."""
        while self.t0 is None and not self.stopping:
            data = os.read(self.orders, 65536)  # blocking
            if data == b"":
                return False
            self.obey_all(data)
        return not self.stopping

    def run(self):
        started = time.perf_counter()
        while not self.stopping:
            time.sleep(self.interval)  # blocking
            if not self.take_orders():
                return  # the runner is gone: nobody to tell
            now = time.perf_counter()
            self.tick(now)
            if now - self.digested >= DIGEST:
                self.digest(now)
        now = time.perf_counter()
        self.tick(now)
        self.digest(now, everyone=True)
        for actor in self.actors.values():
            self.pending += actor.lane.close()
        self.send([], report={  # all this process used since the fork
            "ticks": self.ticks, "cpu_s": round(time.process_time(), 6),
            "wall_s": round(time.perf_counter() - started, 6)})

    def take_orders(self):
        """Read what the runner sent, if it sent anything; False once it is gone."""
        now = time.perf_counter()
        if now - self.looked >= ORPHAN:
            if os.getppid() != self.parent:
                return False
            self.looked = now
        sent, = ORDERS.unpack_from(self.shared, DUES.size)
        if sent == self.obeyed:
            return True
        try:
            data = os.read(self.orders, 65536)
        except BlockingIOError:
            return True  # counted before it was written: read at the next tick
        if data == b"":
            return False
        self.obey_all(data)
        return True

    def obey_all(self, data):
        """Carry out each whole line of orders in `data` (a part line waits for the rest)."""
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        for line in lines:
            self.obeyed += 1
            self.obey(json.loads(line))

    def obey(self, order):
        if "begin" in order:  # the run's clock starts, and the watcher's with it
            self.t0 = order["begin"]
            self.last = self.looked = self.digested = self.synced = time.perf_counter()
        elif "stop" in order:
            self.until, self.stopping = order["stop"], True
        elif "thread" in order:
            try:
                fd = os.open(f"/proc/{self.pid}/task/{order['thread']}/schedstat", os.O_RDONLY)
            except OSError:
                return  # it ended before it was read: nothing to show
            if order["born"]:  # it started since the last tick: all its CPU is since then
                lane = Lane(order["name"], 0.0, self.last)
            else:
                lane = Lane(order["name"], schedstat_seconds(fd) or 0.0, time.perf_counter())
            self.join(("t", order["thread"]), Actor(lane, fd=fd))
        elif "process" in order and ("p", order["process"]) not in self.actors:
            clock = process_clock(order["process"])
            cpu = clock_seconds(clock)  # it may have run a while (its imports) before now
            if cpu is not None:
                lane = Lane(f"pid {order['process']}", cpu, time.perf_counter())
                self.join(("p", order["process"]), Actor(lane, clock=clock))

    def join(self, key, actor):
        """A new actor. A child is read from the next tick on (it goes at the end of the lists
        a tick reads: the rows before it are shorter, and the digest's zip lines them up). A
        thread starts as one that did not run: the next digest reads it if the demo's process
        used CPU that the threads read do not explain, so a hundred threads that start and
        wait are not read every tick, while one that spins is from that digest on."""
        self.actors[key] = actor
        if actor.fd is None:
            self.processes.append(actor)
            self.clocks.append(actor.clock)

    def tick(self, now):
        """Read the threads that ran and the children, raw; the digest makes sense of them."""
        self.ticks += 1
        try:
            row = [os.pread(fd, 64, 0) for fd in self.fds], [
                time.clock_gettime_ns(clock) for clock in self.clocks]
        except OSError:  # one has ended: read them one by one
            row = [pread(fd) for fd in self.fds], [clock_ns(c) for c in self.clocks]
        self.rows.append((now, row))
        self.last = now

    def digest(self, now, everyone=False):
        """The readings kept, through the lanes; the threads that did not run, if they may
        have; the stalls; then who is read each tick until the next digest."""
        explained = 0.0
        for actor in self.threads:
            actor.ran = False  # unless a reading of this digest says it did
        for t, (raw_threads, raw_clocks) in self.rows:
            for actor, raw in zip(self.threads, raw_threads):
                explained += self.take(actor, parse_schedstat(raw), t)
            for actor, raw in zip(self.processes, raw_clocks):
                self.take(actor, None if raw is None else raw / 1e9, t)
        self.rows = []
        idle = [a for a in self.actors.values() if a.fd is not None and not a.ran and not a.gone]
        whole, before = clock_seconds(self.clock), self.whole
        self.whole = whole
        if idle and (everyone or now - self.synced >= RESYNC or None in (whole, before)
                     or whole - before - explained > IDLE * (now - self.digested)):
            for actor in idle:
                self.take(actor, actor.read(), now)
            self.synced = now
        self.forget_gone()
        self.threads = [a for a in self.actors.values() if a.fd is not None and a.ran]
        self.fds = [a.fd for a in self.threads]
        self.processes = [a for a in self.actors.values() if a.clock is not None]
        self.clocks = [a.clock for a in self.processes]
        self.digested = now
        self.send(self.stalls(now))

    def take(self, actor, cpu, t):
        """One reading of an actor into its lane; the CPU it used since the one before."""
        if actor.gone:
            return 0.0
        if cpu is None:  # it ended: its last event, if any
            actor.gone = True
            self.pending += actor.lane.close()
            return 0.0
        used = cpu - actor.cpu
        actor.ran = actor.ran or used >= IDLE * (t - actor.at)
        actor.cpu, actor.at = cpu, t
        self.pending += actor.lane.add(cpu, t)
        return used

    def forget_gone(self):
        for key in [key for key, actor in self.actors.items() if actor.gone]:
            if self.actors[key].fd is not None:
                os.close(self.actors[key].fd)
            del self.actors[key]

    def stalls(self, now):
        """A loop event for each stall going on that grew GROW since it was last told."""
        out, dues = [], DUES.unpack_from(self.shared)
        if not any(dues):  # no loop runs
            return out
        for slot, due in enumerate(dues):
            if not due or now - due < GROW:
                continue
            seen, told = self.told[slot] or (None, 0.0)
            told = told if seen == due else 0.0  # a new stall of that slot
            if now - due >= told + GROW:
                self.told[slot] = (due, now - due)
                out.append({"type": "loop", "t": self.since(now), "lag": round(now - due, 4)})
        return out

    def since(self, t):
        return round(min(t, self.until or t) - self.t0, 3)

    def cpu_events(self, closed):
        until = self.until or float("inf")
        events = [{"type": "cpu", "t": self.since(end), "actor": name, "busy": round(busy, 2),
                   "dt": round(min(end, until) - min(start, until), 3)}
                  for name, start, end, busy in filter(None, closed)]
        return [event for event in events if event["dt"] > 0]

    def send(self, loop, report=None):
        """The lanes closed so far and `loop` events, in as few datagrams as fit."""
        events, self.pending = self.cpu_events(self.pending) + loop, []
        for k in range(0, max(len(events), 1), BATCH):
            message = {"e": "samples", "events": events[k:k + BATCH]}
            if report and k + BATCH >= len(events):
                message["report"] = report
            if message["events"] or report:
                try:
                    self.sock.sendto(json.dumps(message).encode(), self.address)
                except OSError:
                    return  # the runner is gone


def serve(orders, address, pid, interval, shared):
    """The forked process's life: wait for the run, watch until told to stop (or orphaned),
    then leave."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the runner's clean-ups: just go
    lifeline.guard()  # SIGTERM the moment the runner dies (it looks, too: ORPHAN)
    if os.getppid() != pid:
        return  # it died already
    watcher = Watcher(orders, address, pid, interval, shared)
    if watcher.wait_for_begin():
        os.set_blocking(orders, False)
        watcher.run()
