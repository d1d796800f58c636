"""How faithful and how cheap the demo engine is: `python -m bench.fidelity [--sections ...] [--write]`.

Sections: fidelity (each client at the seeds' parameters, in-run and whole-process), scaling
(n = 3 ... 3,000 against the asyncio server), tenk (10,000 requests on one ClientSession),
tracing (the cost of the trace per request). --write puts the tables into docs/BENCHMARKS.md
("## Demo engine") and the scaling table into docs/bench/scaling.json.
"""
import argparse
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from runner.serve import start_asyncio_server, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SECTIONS = ("fidelity", "scaling", "tenk", "tracing")
# The seeds' published `time` figures, and the seeds' scripts run on this machine (field notes).
SEEDS = {"sync": (3.240, 3.105), "threads": (1.199, 1.118), "asyncio": (1.415, 1.188),
         "processes": (1.347, 1.126), "asyncio_semaphore": (3.375, 3.195)}
CLIENTS = ["sync", "threads", "thread_pool", "asyncio", "asyncio_session", "asyncio_semaphore",
           "processes"]
SCALING = {"threads": None, "thread_pool": 100, "asyncio_session": None, "processes": 100}


def runner(demo, url, **params):
    """One traced run; (run_end, number of spans, number of errors)."""
    command = [PY, "-m", "runner", demo, "--json", "--url", url, "--timeout", "600"]
    for name, value in params.items():
        command += [f"--{name}", str(value)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [event["type"] for event in events]
    return events[-1], kinds.count("span"), kinds.count("error")


def wall(command, repeat=5):
    """Median whole-process time of `command`, like the seeds' `time python script.py`."""
    return statistics.median(timed_once(command) for _ in range(repeat))


def timed_once(command):
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def wall_beside_floor(command, floor, repeat=5):
    """Medians of `command` and of its import floor, run alternately so both see the same load."""
    pairs = [(timed_once(command), timed_once(floor)) for _ in range(repeat)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def in_run(command):
    """The `total: X s` a client prints when run by hand (untraced, imports excluded)."""
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"total: ([\d.]+) s", out).group(1))


def table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# The import floor of each client, and the seeds' margin over floor + ideal on this machine.
FLOORS = {"requests": ("import requests", 0.094), "aiohttp": ("import asyncio, aiohttp", 0.161)}


def fidelity():
    rows = []
    with start_gunicorn(workers=3) as server:
        for demo in CLIENTS:
            n = 9 if demo == "asyncio_semaphore" else 3
            ends = [runner(demo, server.url, n=n, delay=1, workers=3, concurrency=3)[0]
                    for _ in range(5)]
            total = statistics.median(end["total"] for end in ends)
            ideal = ends[0]["ideal"]
            code, notes_floor = FLOORS["aiohttp" if "asyncio" in demo else "requests"]
            whole, floor = wall_beside_floor(
                [PY, "-m", f"demos.client_{demo}", "--n", str(n), "--url", server.url],
                [PY, "-c", code])
            published, here = SEEDS.get(demo, ("-", None))
            seeds_margin = "-" if here is None else f"{here - notes_floor - ideal:.3f}"
            rows.append([demo, n, f"{total:.3f}", f"{ideal:.3f}",
                         f"{100 * (total - ideal) / ideal:.1f} %", f"{whole:.3f}", published,
                         here or "-", f"{floor:.3f}", f"{whole - floor - ideal:.3f}", seeds_margin])
    columns = ["demo", "n", "in-run total (s)", "ideal (s)", "overhead", "whole process (s)",
               "seeds published (s)", "seeds here (s)", "import floor now (s)",
               "ours above floor + ideal (s)", "seeds above floor + ideal (s)"]
    return table(columns, rows)


def scaling():
    rows = []
    with start_asyncio_server() as server:
        for demo, k in SCALING.items():
            for n in (3, 30, 300, 3000):
                params = {"n": n, "delay": 1, "server": "asyncio"}
                if k:
                    params["concurrency"] = min(k, n)
                end, spans, errors = runner(demo, server.url, **params)
                rows.append([demo, params.get("concurrency", "-"), n, round(end["total"], 3),
                             end["ideal"],
                             round(100 * (end["total"] - end["ideal"]) / end["ideal"], 1), errors])
    return ["demo", "k", "n", "total (s)", "ideal (s)", "overhead (%)", "errors"], rows


def tenk():
    rows = []
    with start_asyncio_server() as server:
        end, spans, errors = runner("asyncio_session", server.url, n=10_000, delay=1,
                                    server="asyncio")
        rows.append(["traced (python -m runner)", f"{end['total']:.3f}", spans, errors])
        command = [PY, "-m", "demos.client_asyncio_session", "--n", "10000", "--delay", "1",
                   "--url", server.url]
        rows.append(["untraced, by hand (its own total)", f"{in_run(command):.3f}", "-", "-"])
        no_gc = [PY, "-c", "import gc; gc.disable(); from demos.cli import main; "
                 "from demos.client_asyncio_session import fetch_all; main(fetch_all)",
                 *command[3:]]
        rows.append(["diagnostic: the same with the client's cyclic GC off",
                     f"{in_run(no_gc):.3f}", "-", "-"])
    return table(["asyncio_session, n = 10,000, d = 1 s", "total (s)", "spans", "errors"], rows)


def traced_to_devnull(sink):
    """Route this process's trace into a collector writing JSON lines to `sink`."""
    from runner import trace
    from runner.collect import Collector, JsonWriter
    collector = Collector(JsonWriter(sink))
    collector.t0 = time.perf_counter()
    trace.use_sink(collector)


def hook_cost(count=20_000):
    """Seconds per request spent in our hooks and collector (begin, finish, one JSON line)."""
    from runner import trace
    headers = {"X-Server-Start": "1.5", "X-Server-End": "2.5", "X-Worker": "pid 1"}
    start = time.perf_counter()
    for _ in range(count):
        key, began = trace.begin()
        trace.finish(key, began, trace.actor(), "http://127.0.0.1/", 200, headers)
    return (time.perf_counter() - start) / count


def paired_cost(module, urls, rounds=10):
    """(untraced, traced) median seconds of module.fetch_all(urls), alternating in-process, so
    start-up and a busy moment weigh on both alike."""
    import aiohttp
    import requests
    from runner import trace
    fetch_all = importlib.import_module(module).fetch_all
    originals = requests.Session.send, aiohttp.ClientSession.__init__
    plain, traced = [], []
    for round_ in range(rounds):
        for with_trace in ((False, True) if round_ % 2 else (True, False)):  # ABBA order
            requests.Session.send, aiohttp.ClientSession.__init__ = originals
            if with_trace:
                trace.install_hooks()
            start = time.perf_counter()
            fetch_all(urls)
            (traced if with_trace else plain).append(time.perf_counter() - start)
    requests.Session.send, aiohttp.ClientSession.__init__ = originals
    return statistics.median(plain), statistics.median(traced)


def tracing():
    rows = []
    with open("/dev/null", "w") as sink, start_gunicorn(workers=3) as gunicorn, \
            start_asyncio_server() as aio:
        traced_to_devnull(sink)
        for demo, url, n in [("sync", gunicorn.url, 300), ("asyncio_session", aio.url, 1000)]:
            plain, traced = paired_cost(f"demos.client_{demo}", [url + "?delay=0"] * n)
            rows.append([demo, n, f"{plain:.3f}", f"{traced:.3f}",
                         f"{1e6 * (traced - plain) / n:.0f}"])
        rows.append(["hooks alone (begin + finish + one JSON line)", 20_000, "-", "-",
                     f"{1e6 * hook_cost():.0f}"])
    return table(["demo (delay = 0)", "n", "untraced (s)", "traced (s)", "cost per request (µs)"],
                 rows)


NOTES = {
    "fidelity": "Each client at the seeds' parameters (gunicorn -w 3, d = 1 s, n = 3; n = 9 and "
                "k = 3 for the semaphore). In-run total: `run_end` of the traced runner, median "
                "of 5. Whole process: `python -m demos.<module> --n N --url URL`, median of 5, "
                "alternating with its import floor (`python -c 'import requests'`, or asyncio + "
                "aiohttp), so that a busy machine weighs on both; the last two columns compare "
                "what is left above floor + ideal with the seeds' margin in the field notes "
                "(import requests 0.094 s, aiohttp 0.161 s).",
    "scaling": "Against the asyncio slow server (no server-side cap), d = 1 s, traced. k is the "
               "client bound: thread_pool and processes use k = min(100, n); threads and "
               "asyncio_session have none.",
    "tenk": "asyncio_session with 10,000 requests against the asyncio slow server, d = 1 s.",
    "tracing": "Delay 0, so the per-request work dominates. fetch_all runs in one process, "
               "alternately without and with the runner's hooks (median of 10 each, in ABBA order; spans go "
               "to /dev/null as JSON lines); the last row times the hooks alone.",
}
TITLES = {"fidelity": "Fidelity at the seeds' parameters", "scaling": "Scaling with n",
          "tenk": "10,000 requests", "tracing": "Cost of tracing"}


def machine():
    """When and where, with the load average: other work on the machine skews every figure."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{time.strftime('%Y-%m-%d %H:%M')}, Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} cores, load average {load} when the section ended")


def write_section(texts, command):
    """Replace our subsections under '## Demo engine' in docs/BENCHMARKS.md, keep the rest."""
    path = ROOT / "docs" / "BENCHMARKS.md"
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    head, _, rest = doc.partition("\n## Demo engine\n")
    ours, _, others = rest.partition("\n## ")
    old = dict(re.findall(r"<!-- (\w+) -->\n(.*?)(?=\n<!-- \w+ -->\n|\Z)", ours, re.S))
    for name, (text, where) in texts.items():
        old[name] = f"### {TITLES[name]}\n\n{NOTES[name]}\n\n`{command}` ({where})\n\n{text}\n\n"
    order = [name for name in old if name not in SECTIONS] + [n for n in SECTIONS if n in old]
    body = "\n".join(f"<!-- {name} -->\n{old[name].strip()}\n" for name in order)  # hand-written first
    doc = f"{head.rstrip()}\n\n## Demo engine\n\n{body}" + (f"\n## {others}" if others else "")
    path.write_text(doc)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, from {', '.join(SECTIONS)}")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.sections.split(",")]
    if not set(chosen) <= set(SECTIONS):
        parser.error(f"--sections: choose from {', '.join(SECTIONS)}")
    command = "python -m bench.fidelity --sections " + ",".join(chosen)
    texts = {}
    for name in chosen:
        result = globals()[name]()
        if name == "scaling":
            columns, rows = result
            if args.write:
                (ROOT / "docs" / "bench").mkdir(parents=True, exist_ok=True)
                (ROOT / "docs" / "bench" / "scaling.json").write_text(
                    '{"command": %s,\n "columns": %s,\n "rows": [\n  %s\n ]}\n' % (
                        json.dumps(command), json.dumps(columns),
                        ",\n  ".join(json.dumps(row) for row in rows)))
            result = table(columns, rows)
        texts[name] = result, machine()
        print(f"## {TITLES[name]}\n\n{result}\n", flush=True)
    if args.write:
        write_section(texts, command)


if __name__ == "__main__":
    main()
