"""The sampler's own process: it reads the CPU time of the demo's threads and children.

Forked from the runner (runner/sampler.py) before the demo starts, so that its wake-ups never
wait for the demo's GIL: inside the demo's process, with two threads spinning, a wake-up cost
0.4 ms of CPU, most of it waiting for the GIL.

On this kind of machine a system call right after a wake-up costs 10-15 µs (against 1 µs in a
loop), so a tick makes as few as it can:
- the demo's process CPU clock, once (clock_gettime on the clock id of a process);
- each thread that ran since its reading before (IDLE of a core or more), from
  /proc/<pid>/task/<tid>/schedstat (a thread's CPU clock can only be read from its own
  process), a file kept open and read at offset 0; the others only when the process used more
  than those explain (IDLE of a core), or every RESYNC ticks: a hundred waiting threads cost
  one reading, not a hundred;
- each child process from its CPU clock;
- the orders pipe only when the runner's count of orders (in `shared`) moved;
- the loop probes' slots in `shared` (runner/loopprobe.py): memory, no call at all. A timer
  overdue by GROW or more is a stall going on, told every GROW seconds of it, so it grows on
  the slide while the loop is stopped.

Events go to the runner's trace socket as one datagram {"e": "samples", "events": [...]}: a
stall at once, closed lanes at most every SEND seconds (the collector then holds them for a
line to ride with, runner/collect.py). Orders come on a pipe, one JSON object per line:
{"thread": tid, "name": n, "born": started since the last tick}, {"process": pid},
{"stop": until}.
"""
import json
import os
import signal
import socket
import struct
import time

from runner import loopprobe
from runner.lane import IDLE, Lane

GROW = 1.0  # seconds: how often a stall still going on is told
RESYNC = 100  # ticks: an idle thread is read at least this often
ORPHAN = 50  # ticks between two looks at whether the runner is still there
SEND = 0.25  # seconds a closed lane may wait in this process
BATCH = 200  # events per datagram at most (a datagram is read with a 64 KiB buffer)

# The memory the runner shares with this process: the probes' slots, then its count of orders.
SLOTS = struct.Struct(f"{loopprobe.SLOTS}d")
ORDERS = struct.Struct("Q")
SHARED = SLOTS.size + ORDERS.size


def count_order(shared):
    """The runner's side: one more order is on the pipe (lock held)."""
    ORDERS.pack_into(shared, SLOTS.size, ORDERS.unpack_from(shared, SLOTS.size)[0] + 1)


def process_clock(pid):
    """The clock id of a process's CPU time, all its threads (MAKE_PROCESS_CPUCLOCK)."""
    return (~pid << 3) | 2


def clock_seconds(clock):
    """CPU seconds on that clock, or None once its process is gone."""
    try:
        return time.clock_gettime_ns(clock) / 1e9
    except OSError:
        return None


def schedstat_seconds(fd):
    """CPU seconds of a thread from its schedstat file, or None once the thread is gone."""
    try:
        return int(os.pread(fd, 64, 0).split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class Thread:
    """A thread of the demo's process: its schedstat file, its lane, its CPU when last read,
    and whether it ran then (IDLE of a core or more since the reading before)."""

    __slots__ = ("fd", "lane", "cpu", "at", "ran")

    def __init__(self, fd, lane):
        self.fd, self.lane, self.cpu, self.at, self.ran = fd, lane, lane.cpu, lane.at, True


class Watcher:
    def __init__(self, orders, address, pid, t0, interval, shared):
        self.orders, self.address, self.pid, self.t0 = orders, address, pid, t0
        self.interval, self.shared = interval, shared
        self.parent = os.getppid()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.clock = process_clock(pid)
        self.whole = None  # the demo process's CPU at the last tick, if it was read
        self.threads, self.processes = {}, {}  # tid -> Thread, pid -> (clock, Lane)
        self.pending, self.oldest = [], None  # closed lanes not sent yet, since when
        self.told = [None] * loopprobe.SLOTS  # per slot: (its due time, the stall last told)
        self.buffer, self.obeyed, self.until, self.stopping = b"", 0, None, False
        self.ticks, self.last = 0, time.perf_counter()

    def run(self):
        started = time.perf_counter()
        while not self.stopping:
            time.sleep(self.interval)  # blocking
            if not self.take_orders():
                return  # the runner is gone: nobody to tell
            self.tick(time.perf_counter())
        self.tick(time.perf_counter(), everyone=True)
        for lane in [t.lane for t in self.threads.values()] + [
                lane for _, lane in self.processes.values()]:
            self.pending += lane.close()
        self.send(self.pending, report={  # all this process used since the fork
            "ticks": self.ticks, "cpu_s": round(time.process_time(), 6),
            "wall_s": round(time.perf_counter() - started, 6)})

    def take_orders(self):
        """Read what the runner sent, if it sent anything; False once it is gone."""
        if self.ticks % ORPHAN == 0 and os.getppid() != self.parent:
            return False
        sent, = ORDERS.unpack_from(self.shared, SLOTS.size)
        if sent == self.obeyed:
            return True
        try:
            data = os.read(self.orders, 65536)
        except BlockingIOError:
            return True  # counted before it was written: read at the next tick
        if data == b"":
            return False
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        for line in lines:
            self.obeyed += 1
            self.obey(json.loads(line))
        return True

    def obey(self, order):
        if "stop" in order:
            self.until, self.stopping = order["stop"], True
        elif "thread" in order:
            try:
                fd = os.open(f"/proc/{self.pid}/task/{order['thread']}/schedstat", os.O_RDONLY)
            except OSError:
                return  # it ended before it was read: nothing to show
            if order["born"]:  # it started since the last tick: all its CPU is this interval's
                lane = Lane(order["name"], 0.0, self.last)
            else:
                lane = Lane(order["name"], schedstat_seconds(fd) or 0.0, time.perf_counter())
            self.threads[order["thread"]] = Thread(fd, lane)
        elif "process" in order and order["process"] not in self.processes:
            clock = process_clock(order["process"])
            cpu = clock_seconds(clock)  # it may have run a while (its imports) before now
            if cpu is not None:
                self.processes[order["process"]] = (clock, Lane(f"pid {order['process']}", cpu,
                                                                time.perf_counter()))

    def tick(self, now, everyone=False):
        self.ticks += 1
        self.read_threads(now, everyone)
        for pid, (clock, lane) in list(self.processes.items()):
            cpu = clock_seconds(clock)
            if cpu is None:  # it ended: its last event, if any
                self.pending += lane.close()
                del self.processes[pid]
            else:
                self.pending += lane.add(cpu, now)
        self.last = now
        self.pending = [event for event in self.pending if event is not None]
        stalls = self.stalls(now)
        if self.oldest is None and self.pending:
            self.oldest = now
        if stalls or (self.pending and now - self.oldest >= SEND):
            self.send(self.pending + stalls)

    def read_threads(self, now, everyone):
        """Read the threads that ran last time; the idle ones too if the process used more
        than those explain, or at a resync."""
        ran = [t for t in self.threads.values() if t.ran]
        idle = [t for t in self.threads.values() if not t.ran]
        if everyone or len(idle) < 2 or self.ticks % RESYNC == 0:  # no cheaper way to know
            self.read(ran + idle, now)
            self.whole = None
            return
        whole, before = clock_seconds(self.clock), self.whole
        explained = self.read(ran, now)
        self.whole = whole
        if None in (whole, before) or whole - before - explained > IDLE * (now - self.last):
            self.read(idle, now)

    def read(self, threads, now):
        """Read each thread into its lane; the CPU they used since their last reading."""
        used = 0.0
        for thread in threads:
            cpu = schedstat_seconds(thread.fd)
            if cpu is None:  # it ended: its last event, if any
                self.pending += thread.lane.close()
                os.close(thread.fd)
                self.threads = {tid: t for tid, t in self.threads.items() if t is not thread}
                continue
            used += cpu - thread.cpu
            thread.ran = cpu - thread.cpu >= IDLE * (now - thread.at)
            thread.cpu, thread.at = cpu, now
            self.pending += thread.lane.add(cpu, now)
        return used

    def stalls(self, now):
        """A loop event for each stall going on that grew GROW since it was last told."""
        out, dues = [], SLOTS.unpack_from(self.shared)
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
                  for name, start, end, busy in closed]
        return [event for event in events if event["dt"] > 0]

    def send(self, events, report=None):
        lanes = self.cpu_events([e for e in events if isinstance(e, tuple)])
        events = lanes + [e for e in events if isinstance(e, dict)]
        self.pending, self.oldest = [], None
        for k in range(0, max(len(events), 1), BATCH):
            message = {"e": "samples", "events": events[k:k + BATCH]}
            if report and k + BATCH >= len(events):
                message["report"] = report
            if message["events"] or report:
                try:
                    self.sock.sendto(json.dumps(message).encode(), self.address)
                except OSError:
                    return  # the runner is gone


def serve(orders, address, pid, t0, interval, shared):
    """The forked process's life: watch until told to stop (or orphaned), then leave."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    os.set_blocking(orders, False)
    Watcher(orders, address, pid, t0, interval, shared).run()
