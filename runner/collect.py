"""The runner's side of the trace: number requests, turn messages into events, write them.

Messages come from runner.trace (directly, or as datagrams from child processes). Requests are
numbered `i` in the order their start arrives, across threads, tasks and processes.

Samples (cpu, loop: runner/sampler.py) are held back until the run writes its next line (a
span, an error, run_end) and go out with it in one write, or after FLUSH seconds: the app's
relay then sends them in that line's frame instead of a frame of their own (most of a lone
sample's bytes on the audience's WebSocket are the frame around it).
"""
import json
import os
import socket
import threading
import time

STOP = b"stop"
# Seconds a sample may wait for a line to go out with: a loop sample a second (a stall is told
# every second anyway); a CPU lane less, for on a CPU slide, with no spans at all, the lanes are
# what the room watches grow (it waited up to runner.watcher.DIGEST already: 0.3 s in all).
FLUSH = {"loop": 1.0, "cpu": 0.05}


class Collector:
    """Turns start/end messages into `span` and `error` events, written as they complete."""

    def __init__(self, write):
        self.write = write
        self.t0 = None
        self.lock = threading.Lock()
        self.numbers = {}
        self.next_i = 0
        self.errors = 0
        self.pid = os.getpid()
        self.on_child = None  # called with the pid of each child process heard from
        self.on_samples = None  # called with each datagram of the sampler's watcher
        self.held, self.due = [], None  # samples waiting for a line, and when they go alone

    def since_t0(self, t):
        return None if t is None or self.t0 is None else round(t - self.t0, 6)

    def __call__(self, message):
        if message["e"] == "samples":  # runner/watcher.py: cpu and loop events
            if self.on_samples is not None:
                self.on_samples(message)
            return
        if message["pid"] != self.pid and self.on_child is not None:
            self.on_child(message["pid"])
        if message["e"] == "proc":  # a child announced itself (runner.trace.announce)
            return
        with self.lock:
            if message["e"] == "start":
                self.numbers[message["k"]] = self.next_i
                self.next_i += 1
            else:
                self.write_out([self.event(message)])

    def event(self, m):
        i = self.numbers.pop(m["k"], None)
        who = m["actor"] if m["pid"] == self.pid else f"pid {m['pid']}"
        client = {"client_start": self.since_t0(m["cs"]), "client_end": self.since_t0(m["ce"])}
        status = m.get("st")  # the HTTP status, when there was a response
        if m["err"] is not None:
            self.errors += 1
            return {"type": "error", "i": i, "message": m["err"], **client, "actor": who,
                    "status": status}
        return {"type": "span", "i": i, **client, "server_start": self.since_t0(m["ss"]),
                "server_end": self.since_t0(m["se"]), "worker": m["w"], "actor": who,
                "status": status}

    def unfinished(self):
        """An error for each request that started but never ended (its worker was killed)."""
        with self.lock:
            numbers, self.numbers = sorted(self.numbers.values()), {}
        return [{"type": "error", "i": i, "message": "no answer: the run ended first"}
                for i in numbers]

    def emit(self, *events, last=False):
        """Run-level events (run_start, run error, run_end), in line with the spans. With
        `last`, nothing is written after them (a timed-out run's stragglers stay silent)."""
        with self.lock:
            for event in events:
                self.errors += event["type"] == "error"
            self.write_out(list(events))
            if last:
                self.write = lambda event: None

    def hold(self, samples, now):
        """Samples to write with the next line, or alone once one has waited its FLUSH
        (`now` and the waits on one clock, time.perf_counter's)."""
        with self.lock:
            for sample in samples:
                due = now + FLUSH[sample["type"]]
                self.due = due if self.due is None else min(self.due, due)
            self.held += samples
            if self.held and now >= self.due:
                self.write_out([])

    def flush(self):
        """Write the samples held, if any (the sampler has stopped)."""
        with self.lock:
            self.write_out([])

    def write_out(self, events):
        """The held samples, then `events`, in one write (lock held)."""
        events, self.held, self.due = self.held + events, [], None
        if events:
            write_all(self.write, events)


def write_all(write, events):
    """Write events at once where the writer can (one flush: a sampler's batch of lines costs
    one GIL hand-off, not one per line), else one by one."""
    many = getattr(write, "many", None)
    if many is not None:
        many(events)
    else:
        for event in events:
            write(event)


class Receiver:
    """A datagram socket (abstract namespace) and a thread feeding its messages to a collector."""

    def __init__(self, collector):
        self.collector = collector
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(f"\0demos-trace-{os.getpid()}-{id(self):x}")
        self.address = "@" + self.sock.getsockname()[1:].decode()
        self.thread = threading.Thread(target=self.receive, name="trace-receiver", daemon=True)
        self.cpu_s = None  # the thread's CPU time, once drained (bench/inside.py)
        self.thread.start()

    def receive(self):
        while True:
            data = self.sock.recv(65536)  # blocking
            if data == STOP:
                self.cpu_s = time.thread_time()
                return
            self.collector(json.loads(data))

    def drain(self):
        """Wait until every datagram sent before now is handled (the queue is FIFO), then stop."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto(STOP, self.sock.getsockname())
        self.thread.join()  # blocking
        self.sock.close()


class JsonWriter:
    """One JSON object per line, flushed at once, on a private copy of the real stdout."""

    def __init__(self, stream):
        self.stream = stream

    def __call__(self, event):
        self.stream.write(json.dumps(event) + "\n")
        self.stream.flush()

    def many(self, events):
        self.stream.write("".join(json.dumps(event) + "\n" for event in events))
        self.stream.flush()


def seconds(value):
    return f"{'-':>7}" if value is None else f"{value:7.3f}"


class TableWriter:
    """A readable table, one row per request as it completes."""

    def __init__(self, stream):
        self.stream = stream

    def __call__(self, event):
        kind = event["type"]
        if kind == "run_start":
            line = (f"{event['demo']} {json.dumps(event['params'])}\n"
                    f"{'i':>5}  {'sent':>7} {'taken':>7} {'served':>7} {'back':>7}  "
                    f"{'worker':<12} actor")  # in time order: client, server, server, client
        elif kind == "span":
            line = (f"{event['i']:>5}  {seconds(event['client_start'])} "
                    f"{seconds(event['server_start'])} {seconds(event['server_end'])} "
                    f"{seconds(event['client_end'])}  {event['worker'] or '-':<12} {event['actor']}")
        elif kind == "error":
            line = f"{'-' if event['i'] is None else event['i']:>5}  error: {event['message']}"
        elif kind != "run_end":  # cpu and loop samples: in the JSON lines and the --trace file
            return
        else:
            line = f"total {seconds(event['total']).strip()} s, ideal {seconds(event['ideal']).strip()} s".replace("- s", "-")
        self.stream.write(line + "\n")
        self.stream.flush()
