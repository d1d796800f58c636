"""What seeing inside a run costs: `python -m bench.inside [--sections bytes,sampler] [--repeat N]`.

Each section prints a table with the time and /proc/loadavg (docs/BENCHMARKS.md, "Inside a run").

bytes: every demo panel of the talk (slides/talk.md, its parameters), run by the app's own
RunManager (its relay, its slow servers, its store in a scratch folder, its Hub), and the bytes
a follower's socket is offered for it from run_start to run_end: the compact `ev` frames of
live/wire.py, WebSocket headers included. "without cpu + loop" re-encodes the same broadcasts
with the run's other events only (same batches, same encoder), so "added" is what the samples
cost on that wire; the readable figures are the same events one JSON frame each (the form before
the compact encoding).

sampler: what sampling costs over real runs (RUNNER_SAMPLER_REPORT=1) at 100 Hz (`--sample
0.01`) and at the default 50 Hz, as a share of one core: all the CPU of the sampler's process
(runner/watcher.py, from its fork on) plus the runner's side, the fork itself and the trace
receiver thread's whole CPU (it handles the watcher's datagrams; for cpu_processes the
children's start and end messages too, so an upper bound there).

overhead: each client at the seeds' parameters (gunicorn -w 3, d = 1 s, n = 3; n = 9, k = 3 for
the semaphore), traced with and without samples (`--sample 0`), alternating, median of --repeat:
what the samples add to the in-run total (bench/fidelity.py measures the rest).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from live import wire
from live.hub import Hub, encode, frames
from live.relay import Run
from live.remarkdown import lex
from live.runs import RunManager
from live.servers import SlowServers
from live.store import Store
from runner import pythons
from runner.catalog import DEMOS, validate
from runner.serve import start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
NEW = {"cpu", "loop"}
SAMPLED = [("cpu_threads", {"n": 4, "concurrency": 2, "delay": 0.5}),
           ("cpu_processes", {"n": 4, "concurrency": 2, "delay": 0.5}),
           ("threads", {"n": 100, "delay": 1, "server": "asyncio"}),
           ("asyncio_session", {"n": 1000, "delay": 0.5, "server": "asyncio"})]


def talk_panels(labels=None):
    """(demo, params) of every demo panel in the talk, in slide order, each once; `labels`, a
    list, gets the slide's own arguments of each ("n=9, delay=0.5")."""
    seen = []
    for token in lex((ROOT / "slides" / "talk.md").read_text(encoding="utf-8")):
        if getattr(token, "name", None) != "demo":
            continue
        raw = dict(arg.strip().split("=", 1) for arg in token.args if "=" in arg)
        panel = (token.value.strip(), validate(token.value.strip(), raw))
        if panel not in seen:
            seen.append(panel)
            if labels is not None:
                labels.append(", ".join(f"{k.strip()}={v.strip()}" for k, v in raw.items()))
    return seen


def run(demo, params, url=None, env=None, extra=()):
    """One run of the runner, as the app starts it; (events, stderr)."""
    command = [PY, "-m", "runner", demo, "--json", *extra]
    for name in ("n", "workers", "delay", "concurrency", "fail", "server", "timeout"):
        command += [f"--{name}", str(params[name])]
    if url and DEMOS[demo].kind == "client" and params["server"] == "gunicorn":
        command += ["--url", url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


class Socket:
    """A follower's connection as the hub sees it: it counts the bytes it is offered."""

    dead = killing = False
    sock = None

    def __init__(self):
        self.received = 0

    def send(self, batch):
        self.received += len(batch)
        return True

    def close(self, code, reason):
        pass

    def kill(self):
        pass


class Meter(RunManager):
    """The app's RunManager; for every broadcast it also frames, as `wire` would, the same
    events without the samples (a shadow run: its own encoder, same unit), and each event as
    one readable frame. Per run: {"without": B, "readable": B, "readable_new": B, "kinds": [..]}."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shadows, self.counts = {}, {}

    def wire(self, run, stamped):
        out = super().wire(run, stamped)
        shadow = self.shadows.get(run.id)
        if shadow is None:
            shadow = self.shadows[run.id] = Run(run.id, run.demo, run.panel, run.params)
            shadow.encoder = wire.Encoder(run.encoder.unit)
            self.counts[run.id] = {"without": 0, "readable": 0, "readable_new": 0, "kinds": []}
        count = self.counts[run.id]
        old = [event for event in stamped if event["type"] not in NEW]
        if old:
            count["without"] += len(frames(encode(m) for m in super().wire(shadow, old)))
        for event in stamped:
            size = len(frames([encode(event)]))
            count["readable"] += size
            count["readable_new"] += size if event["type"] in NEW else 0
            count["kinds"].append(event["type"])
        return out


def measure(panels):
    """Run every (demo, params) through the app's RunManager: one dict per panel with the bytes
    a follower received (`total`) and the counterfactuals of Meter."""
    free_threaded = pythons.find_free_threaded()
    found = {"free-threaded": free_threaded[0], "3.14": pythons.find_python314(free_threaded)}
    with tempfile.TemporaryDirectory() as scratch:
        store, hub, servers = Store(Path(scratch) / "db.sqlite3"), Hub(send_buffer=0), SlowServers()
        manager = Meter(store, hub, servers, timeout=600.0, pythons=found)
        socket = Socket()
        hub.join(socket, "follower", lambda seq: "{}")
        results = []
        try:
            for k, (demo, params) in enumerate(panels):
                socket.received = 0
                run_id = manager.start(demo, f"p{k}", params)
                manager.wait(700)
                results.append({"demo": demo, "params": params, "total": socket.received,
                                "status": store.summary(run_id)["status"],
                                **manager.counts[run_id]})
        finally:
            manager.close()
            servers.stop_all()
            store.close()
    return results


def percent(part, whole):
    return f"{100 * part / whole:.0f} %" if whole else "-"


def bytes_section():
    rows, sums = [], {"total": 0, "without": 0, "readable": 0, "readable_new": 0}
    labels = []
    for found, text in zip(measure(talk_panels(labels)), labels):
        for key in sums:
            sums[key] += found[key]
        kinds = found["kinds"]
        new, old = found["total"] - found["without"], found["readable"] - found["readable_new"]
        status = "" if found["status"] == "done" else f" ({found['status']})"
        rows.append([found["demo"] + status, text, kinds.count("span"),
                     kinds.count("cpu"), kinds.count("loop"), found["without"], new,
                     percent(new, found["without"]), old, found["readable_new"],
                     percent(found["readable_new"], old)])
    new, old = sums["total"] - sums["without"], sums["readable"] - sums["readable_new"]
    rows.append(["all panels of the talk", "", "", "", "", sums["without"], new,
                 percent(new, sums["without"]), old, sums["readable_new"],
                 percent(sums["readable_new"], old)])
    return table(["demo", "slide's parameters", "spans", "cpu events", "loop events",
                  "compact, without cpu + loop (B)", "cpu + loop (B)", "added",
                  "readable, without (B)", "readable cpu + loop (B)", "added (readable)"], rows)


def label(params):
    keys = ("n", "delay", "concurrency", "server")
    return ", ".join(f"{k}={params[k]}" for k in keys if k in params)


def sampler_section(repeat):
    rows = []
    with start_gunicorn(workers=3):
        for demo, params in SAMPLED:
            for interval in (0.01, 0.02):
                params = validate(demo, params)
                reports = []
                for _ in range(repeat):
                    _, stderr = run(demo, params, env={"RUNNER_SAMPLER_REPORT": "1"},
                                    extra=["--sample", str(interval)])
                    line = next(l for l in stderr.splitlines() if l.startswith("sampler "))
                    reports.append(json.loads(line.split(" ", 1)[1]))
                shares = [r["share"] for r in reports]
                runner_side = [r["fork_s"] + max(r["relay_s"], r.get("receiver_s") or 0.0)
                               for r in reports]
                rows.append([demo, label(params), f"{1 / interval:.0f} Hz",
                             round(statistics.median(r["ticks"] / r["wall_s"] for r in reports)),
                             f"{1e3 * statistics.median(r['cpu_s'] for r in reports):.1f}",
                             round(statistics.median(1e6 * r["cpu_s"] / r["ticks"]
                                                     for r in reports)),
                             f"{1e3 * statistics.median(runner_side):.1f}",
                             f"{statistics.median(r['wall_s'] for r in reports):.2f}",
                             f"{100 * statistics.median(shares):.2f} %",
                             f"{100 * max(shares):.2f} %"])
    return table(["demo", "parameters", "asked", "ticks/s", "watcher CPU (ms)",
                  "µs per tick", "runner's side (ms)", "run (s)",
                  "share of a core (median)", "max"], rows)


CLIENTS = ["sync", "threads", "thread_pool", "asyncio", "asyncio_session", "asyncio_semaphore",
           "processes"]


def overhead_section(repeat):
    rows = []
    with start_gunicorn(workers=3) as server:
        for demo in CLIENTS:
            n = 9 if demo == "asyncio_semaphore" else 3
            params = validate(demo, {"n": n, "delay": 1, "workers": 3, "concurrency": 3})
            totals = {"0": [], "0.02": [], "0.01": []}
            for k in range(repeat):
                for interval in (list(totals) if k % 2 else list(totals)[::-1]):
                    events, _ = run(demo, params, server.url, extra=["--sample", interval])
                    totals[interval].append(events[-1]["total"])
            ideal = DEMOS[demo].ideal(params)
            cells = [f"{100 * (statistics.median(v) - ideal) / ideal:.1f} %" for v in totals.values()]
            rows.append([demo, n, f"{ideal:.3f}", *cells])
    return table(["demo", "n", "ideal (s)", "overhead, no samples", "samples at 50 Hz",
                  "samples at 100 Hz"], rows)


def table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="bytes,sampler,overhead")
    parser.add_argument("--repeat", type=int, default=3, help="runs per sampler row (median)")
    args = parser.parse_args(argv)
    for name in args.sections.split(","):
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        sections = {"bytes": bytes_section, "sampler": lambda: sampler_section(args.repeat),
                    "overhead": lambda: overhead_section(args.repeat)}
        text = sections[name]()
        load = open("/proc/loadavg").read().strip()
        print(f"### {name} ({started}; /proc/loadavg at the end: {load})\n\n{text}\n", flush=True)


if __name__ == "__main__":
    main()
