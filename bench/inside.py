"""What seeing inside a run costs: `python -m bench.inside [--sections bytes,sampler] [--repeat N]`.

Each section prints a table with the time and /proc/loadavg (docs/BENCHMARKS.md, "Inside a run").

bytes: every demo panel of the talk (slides/talk.md, its parameters), run by the runner as the
app runs it (gunicorn -w 3, or the runner's asyncio server), and the bytes a follower receives
for it as the hub frames them (compact JSON plus run, seq and at): the run's spans, errors,
run_start and run_end against its new cpu and loop events.

sampler: the sampler's own CPU time over real runs (RUNNER_SAMPLER_REPORT=1) at 100 Hz
(`--sample 0.01`) and at the default 50 Hz, as a share of one core.

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
import time
from pathlib import Path

from live.hub import encode
from live.remarkdown import lex
from runner.catalog import DEMOS, validate
from runner.serve import start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
NEW = {"cpu", "loop"}
STAMP = {"run": 123, "seq": 123456, "at": 1764620000.123456}  # what the hub adds to each event
SAMPLED = [("cpu_threads", {"n": 4, "concurrency": 2, "delay": 0.5}),
           ("cpu_processes", {"n": 4, "concurrency": 2, "delay": 0.5}),
           ("threads", {"n": 100, "delay": 1, "server": "asyncio"}),
           ("asyncio_session", {"n": 1000, "delay": 0.5, "server": "asyncio"})]


def talk_panels():
    """(demo, params) of every demo panel in the talk, in slide order, each once."""
    seen = []
    for token in lex((ROOT / "slides" / "talk.md").read_text(encoding="utf-8")):
        if getattr(token, "name", None) != "demo":
            continue
        raw = dict(arg.strip().split("=", 1) for arg in token.args if "=" in arg)
        panel = (token.value.strip(), validate(token.value.strip(), raw))
        if panel not in seen:
            seen.append(panel)
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


def follower_bytes(events):
    """(bytes of the run as before, bytes of its cpu and loop events), as the hub frames them."""
    old = new = 0
    for event in events:
        size = len(encode({**event, **STAMP}).encode())
        if event["type"] in NEW:
            new += size
        else:
            old += size
    return old, new


def bytes_section():
    rows, total_old, total_new = [], 0, 0
    with start_gunicorn(workers=3) as server:
        for demo, params in talk_panels():
            events, _ = run(demo, params, server.url)
            old, new = follower_bytes(events)
            total_old, total_new = total_old + old, total_new + new
            kinds = [event["type"] for event in events]
            rows.append([demo, label(params), kinds.count("span"), kinds.count("cpu"),
                         kinds.count("loop"), old, new, f"{100 * new / old:.0f} %"])
    rows.append(["all panels of the talk", "", "", "", "", total_old, total_new,
                 f"{100 * total_new / total_old:.0f} %"])
    return table(["demo", "slide's parameters", "spans", "cpu events", "loop events",
                  "bytes before (B)", "cpu + loop (B)", "added"], rows)


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
                rows.append([demo, label(params), f"{1 / interval:.0f} Hz",
                             round(statistics.median(r["ticks"] / r["wall_s"] for r in reports)),
                             f"{1e3 * statistics.median(r['cpu_s'] for r in reports):.1f}",
                             f"{statistics.median(r['wall_s'] for r in reports):.2f}",
                             f"{100 * statistics.median(shares):.2f} %",
                             f"{100 * max(shares):.2f} %"])
    return table(["demo", "parameters", "asked", "ticks/s", "sampler CPU (ms)", "run (s)",
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
