"""A run as a trace to take home: Chrome's Trace Event Format, which the Perfetto UI
(ui.perfetto.dev) and chrome://tracing open (docs/TRACING.md).

    python -m runner threads --n 9 --trace run.json     # the runner writes it at the end
    GET /api/runs/<id>/trace.json                        # the app builds it from the stored run

Process 1, "client", has a track (thread) per actor: each request is one complete ("X") event
from client_start to client_end. Process 2, "server", has a track per server worker: the served
part of each request (a worker serving several at once gets a track per request it holds). `cpu` and `loop` samples, and the requests in flight at the client and at
the server (derived from the spans), are counter ("C") events. Metadata ("M") events name every
process and track. Times are microseconds since the run's start (the JSON lines' seconds x 1e6).
"""
import argparse
import heapq
import json
import os
import sys
from pathlib import Path

from runner.collect import write_all

CLIENT, SERVER = 1, 2
RUN_TRACK = 0  # the client's first track: the whole run, and run-level errors


def us(seconds):
    return round(seconds * 1e6)


def number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Tracks:
    """A tid for each track name of one process, in the order they first appear."""

    def __init__(self, pid, first=1):
        self.pid, self.tids, self.first = pid, {}, first
        self.busy = {}  # name -> [(tid, end of its last event)]

    def tid(self, name):
        return self.tids.setdefault(name, self.first + len(self.tids))

    def slot(self, name, start, end):
        """A track of `name` free at `start` (events come in start order). Complete events on
        one track must nest, so a worker serving many requests at once (the asyncio server)
        gets a track per request it holds at a time: "pid 7", "pid 7 (2)", ..."""
        tracks = self.busy.setdefault(name, [])
        for k, (tid, last) in enumerate(tracks):
            if last <= start:
                tracks[k] = (tid, end)
                return tid
        tid = self.tid(f"{name} ({len(tracks) + 1})" if tracks else name)
        tracks.append((tid, end))
        return tid

    def metadata(self):
        return [{"ph": "M", "pid": self.pid, "tid": tid, "name": key, "args": args}
                for name, tid in self.tids.items()
                for key, args in (("thread_name", {"name": name}),
                                  ("thread_sort_index", {"sort_index": tid}))]


def process_metadata(pid, name):
    return [{"ph": "M", "pid": pid, "tid": 0, "name": "process_name", "args": {"name": name}},
            {"ph": "M", "pid": pid, "tid": 0, "name": "process_sort_index",
             "args": {"sort_index": pid}}]


def timed(item, start, end):
    return number(item.get(start)) and number(item.get(end))


def complete(cat, name, pid, tid, start, end, args):
    return {"ph": "X", "cat": cat, "name": name, "pid": pid, "tid": tid, "ts": us(start),
            "dur": us(max(end - start, 0)), "args": args}


def request_events(spans, errors, client, server):
    """One complete event per request at the client (failed ones too), one per served request
    at the server; errors without times are instants."""
    out = []
    at_client = sorted([s for s in spans + errors if timed(s, "client_start", "client_end")],
                       key=lambda s: s["client_start"])
    for item in at_client:
        tid = client.slot(item.get("actor") or "?", item["client_start"], item["client_end"])
        if item["type"] == "span":
            args = {key: item.get(key) for key in ("i", "worker", "server_start", "server_end")}
            name = f"#{item['i']}"
        else:
            args = {"i": item.get("i"), "message": item.get("message")}
            name = "run error" if item.get("i") is None else f"#{item['i']} failed"
        out.append(complete("request", name, CLIENT, tid, item["client_start"],
                            item["client_end"], args))
    at_server = sorted([s for s in spans if timed(s, "server_start", "server_end")],
                       key=lambda s: s["server_start"])
    for span in at_server:
        tid = server.slot(span.get("worker") or "?", span["server_start"], span["server_end"])
        out.append(complete("served", f"#{span['i']}", SERVER, tid, span["server_start"],
                            span["server_end"], {"i": span["i"], "actor": span.get("actor")}))
    out += [instant(error, client) for error in errors
            if not timed(error, "client_start", "client_end")]
    return out


def instant(error, client):
    """An error without times: an instant on its actor's track, or global for the run."""
    name = "run error" if error.get("i") is None else f"#{error['i']} failed"
    tid = client.tid(error["actor"]) if error.get("actor") else RUN_TRACK
    return {"ph": "i", "cat": "error", "name": name, "pid": CLIENT, "tid": tid, "ts": 0,
            "s": "g" if tid == RUN_TRACK else "t",
            "args": {"i": error.get("i"), "message": error.get("message")}}


def counter(name, ts, key, value):
    return {"ph": "C", "cat": "sample", "name": name, "pid": CLIENT, "tid": RUN_TRACK,
            "ts": ts, "args": {key: value}}


def cpu_counters(samples):
    """Each actor's share of a core: its value from t - dt to t, back to 0 where no sample
    follows at once (an actor is only sampled while it runs)."""
    out, ends = [], {}
    for sample in sorted(samples, key=lambda s: s["t"]):
        name = f"CPU {sample['actor']}"
        start = us(sample["t"] - (sample.get("dt") or 0))
        if name in ends and ends[name] < start - 1000:  # a gap of more than a millisecond
            out.append(counter(name, ends[name], "busy", 0))
        out.append(counter(name, start, "busy", sample["busy"]))
        ends[name] = us(sample["t"])
    out += [counter(name, end, "busy", 0) for name, end in ends.items()]
    return out


def loop_counters(samples):
    """The loop's lag as the slide's strip draws it, `lag` over [t - lag, t] (the stretch its
    timer could not run; the highest where several cover a moment) and 0 elsewhere. (The
    requests in flight are the spans' counters: a sample only has the count when it was told.)"""
    out, level, covering = [], 0.0, []  # covering: a heap of (-lag, end) of the spans open
    spans = sorted((max(0.0, s["t"] - s["lag"]), s["t"], s["lag"]) for s in samples
                   if s["lag"] > 0)
    k = 0
    for edge in sorted({t for start, end, _ in spans for t in (start, end)}):
        while k < len(spans) and spans[k][0] <= edge:
            heapq.heappush(covering, (-spans[k][2], spans[k][1]))
            k += 1
        while covering and covering[0][1] <= edge:
            heapq.heappop(covering)
        now = -covering[0][0] if covering else 0.0
        if now != level:
            out.append(counter("event loop lag (ms)", us(edge), "lag_ms", round(now * 1e3, 3)))
            level = now
    return out


def in_flight(spans, start, end, name):
    """A counter of the requests between `start` and `end` over time."""
    edges = sorted([(us(s[start]), 1) for s in spans if number(s.get(start))
                    and number(s.get(end))] +
                   [(us(s[end]), -1) for s in spans if number(s.get(start))
                    and number(s.get(end))])
    out, level = [], 0
    for ts, step in edges:
        level += step
        if out and out[-1]["ts"] == ts:
            out[-1]["args"]["requests"] = level
        else:
            out.append(counter(name, ts, "requests", level))
    return out


def build(events, name, params=None, **other):
    """The trace of a run from its events (the runner's lines, or the stored ones)."""
    kinds = {}
    for event in events:
        kinds.setdefault(event.get("type"), []).append(event)
    spans, errors = kinds.get("span", []), kinds.get("error", [])
    client, server = Tracks(CLIENT, first=RUN_TRACK), Tracks(SERVER)
    client.tid("run")  # RUN_TRACK: the first track of the client
    body = request_events(spans, errors, client, server)
    end = (kinds.get("run_end") or [{}])[-1]
    if number(end.get("total")):
        body.append({"ph": "X", "cat": "run", "name": name, "pid": CLIENT, "tid": RUN_TRACK,
                     "ts": 0, "dur": us(end["total"]), "args": {"ideal": end.get("ideal")}})
    body += cpu_counters(kinds.get("cpu", [])) + loop_counters(kinds.get("loop", []))
    body += in_flight(spans, "client_start", "client_end", "in flight at the client")
    body += in_flight(spans, "server_start", "server_end", "in flight at the server")
    head = process_metadata(CLIENT, f"client: {name}") + client.metadata()
    if server.tids:
        head += process_metadata(SERVER, "server") + server.metadata()
    body.sort(key=lambda event: event["ts"])
    return {"traceEvents": head + body, "displayTimeUnit": "ms",
            "otherData": {"demo": name, "params": params, "total": end.get("total"),
                          "ideal": end.get("ideal"), **other}}


def of_run(run):
    """A stored run (shaped as GET /api/runs/<id> returns it) as a trace: the app's download and
    the handout's trace files."""
    events = [*run["spans"], *run["errors"], *run.get("cpu", ()), *run.get("loop", ()),
              {"type": "run_end", "total": run["total"], "ideal": run["ideal"]}]
    return build(events, run["demo"], run["params"], run=run["id"], status=run["status"])


def dumps(trace):
    return json.dumps(trace, separators=(",", ":"))


def writable(text):
    """The runner's --trace FILE: a file path in a folder that exists (argparse type)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"no folder to write {text!r} in")
    return path


class Recorder:
    """A writer that also keeps every event, to save the run as a trace at the end."""

    def __init__(self, write):
        self.write, self.events = write, []

    def __call__(self, event):
        self.events.append(event)
        self.write(event)

    def many(self, events):
        self.events.extend(events)
        write_all(self.write, events)

    def save(self, path, name, params):
        """Write the trace; False, with one line on stderr, if it could not be written."""
        try:
            Path(path).write_text(dumps(build(self.events, name, params)))
        except OSError as error:
            print(f"runner: could not write the trace {path}: {error.strerror}",
                  file=sys.stderr)
            return False
        return True
