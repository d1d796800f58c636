"""The trace to take home: `python -m runner ... --trace FILE` in Chrome's Trace Event Format,
checked field by field (docs/TRACING.md)."""
import json
import subprocess
import sys

from runhelp import ROOT, run_runner
from runner import tracefile

CPU = {"n": 4, "concurrency": 2, "delay": 0.25}


def check_trace_event_format(trace):
    """Chrome's Trace Event Format, field by field (the JSON Object Format)."""
    assert set(trace) >= {"traceEvents", "displayTimeUnit"} and trace["displayTimeUnit"] == "ms"
    named = {(e["pid"], e["tid"]) for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    processes = {e["pid"] for e in trace["traceEvents"]
                 if e["ph"] == "M" and e["name"] == "process_name"}
    for event in trace["traceEvents"]:
        assert event["ph"] in {"X", "C", "M", "i"}, event
        assert isinstance(event["name"], str) and event["name"], event
        assert type(event["pid"]) is int and type(event["tid"]) is int, event
        assert event["pid"] in processes, event
        if event["ph"] == "M":
            assert event["name"] in {"process_name", "process_sort_index", "thread_name",
                                     "thread_sort_index"}
            assert isinstance(event["args"], dict)
            continue
        assert type(event["ts"]) is int and event["ts"] >= 0, event
        if event["ph"] == "X":
            assert type(event["dur"]) is int and event["dur"] >= 0, event
            assert (event["pid"], event["tid"]) in named, event
        if event["ph"] == "C":
            assert event["args"] and all(isinstance(v, (int, float))
                                         for v in event["args"].values()), event
    check_nesting(trace["traceEvents"])
    return trace["traceEvents"]


def check_nesting(trace_events):
    """Complete events on one track nest or follow each other (viewers drop the others)."""
    tracks = {}
    for event in trace_events:
        if event["ph"] == "X":
            tracks.setdefault((event["pid"], event["tid"]), []).append(event)
    for events_ in tracks.values():
        open_ends = []
        for event in sorted(events_, key=lambda e: (e["ts"], -e["dur"])):
            while open_ends and open_ends[-1] <= event["ts"]:
                open_ends.pop()
            assert not open_ends or event["ts"] + event["dur"] <= open_ends[-1], event
            open_ends.append(event["ts"] + event["dur"])


def complete(trace_events, cat):
    return [e for e in trace_events if e["ph"] == "X" and e.get("cat") == cat]


def test_trace_file_has_one_complete_event_per_request(run_demo, tmp_path):
    path = tmp_path / "run.json"
    result = run_demo("threads", "--trace", str(path), n=5, delay=0.2)
    assert result.returncode == 0, result.stderr
    trace_events = check_trace_event_format(json.loads(path.read_text()))
    requests = complete(trace_events, "request")
    assert sorted(e["name"] for e in requests) == [f"#{i}" for i in range(5)]
    by_name = {e["name"]: e for e in requests}
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in trace_events
             if e["ph"] == "M" and e["name"] == "thread_name"}
    for span in result.spans:
        event = by_name[f"#{span['i']}"]
        assert event["ts"] == round(span["client_start"] * 1e6)
        assert abs(event["dur"] - (span["client_end"] - span["client_start"]) * 1e6) <= 1
        assert names[(event["pid"], event["tid"])] == span["actor"]  # a track per actor
    served = complete(trace_events, "served")
    assert len(served) == 5
    assert {names[(e["pid"], e["tid"])] for e in served} == {s["worker"] for s in result.spans}
    counters = {e["name"] for e in trace_events if e["ph"] == "C"}
    assert {"in flight at the client", "in flight at the server"} <= counters


def test_trace_file_of_a_cpu_run_has_cpu_counters(tmp_path):
    path = tmp_path / "cpu.json"
    result = run_runner("cpu_processes", "--trace", str(path), **CPU)
    assert result.returncode == 0, result.stderr
    trace_events = check_trace_event_format(json.loads(path.read_text()))
    assert len(complete(trace_events, "request")) == CPU["n"]
    lanes = {e["name"] for e in trace_events if e["ph"] == "C" and e["name"].startswith("CPU ")}
    assert {f"CPU {span['actor']}" for span in result.spans} <= lanes
    assert all(isinstance(e["args"]["busy"], (int, float)) for e in trace_events
               if e["name"] in lanes)


def test_trace_without_json_still_writes_the_table_and_the_file(slow_server, tmp_path):
    path = tmp_path / "table.json"
    command = [sys.executable, "-m", "runner", "asyncio", "--n", "2", "--delay", "0.1",
               "--url", slow_server.url, "--trace", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "total" in done.stdout.splitlines()[-1] and "cpu" not in done.stdout
    trace_events = check_trace_event_format(json.loads(path.read_text()))
    assert len(complete(trace_events, "request")) == 2


def test_trace_of_failures_gaps_and_loop_samples():
    """tracefile.build on a hand-made run: a failed request, a run-level error, two CPU samples
    of one actor with a gap between them, one loop sample."""
    trace = tracefile.build([
        {"type": "span", "i": 0, "client_start": 0.001, "client_end": 0.5, "server_start": 0.002,
         "server_end": 0.499, "worker": "pid 7", "actor": "Task-2"},
        {"type": "error", "i": 1, "message": "HTTP 500 from x", "client_start": 0.001,
         "client_end": 0.2, "actor": "Task-3"},
        {"type": "error", "i": None, "message": "timed out", "client_start": None,
         "client_end": None, "actor": None},
        {"type": "cpu", "t": 0.1, "actor": "MainThread", "busy": 0.5, "dt": 0.1},
        {"type": "cpu", "t": 0.4, "actor": "MainThread", "busy": 1.0, "dt": 0.02},
        {"type": "loop", "t": 0.3, "lag": 0.25, "in_flight": 2},
        {"type": "run_end", "total": 0.6, "ideal": 0.5},
    ], "asyncio", {"n": 2})
    trace_events = check_trace_event_format(trace)
    failed, = [e for e in complete(trace_events, "request") if e["name"] == "#1 failed"]
    assert failed["args"]["message"] == "HTTP 500 from x" and failed["dur"] == 199000
    run_error, = [e for e in trace_events if e["ph"] == "i"]
    assert run_error["s"] == "g" and run_error["args"]["message"] == "timed out"
    cpu = [(e["ts"], e["args"]["busy"]) for e in trace_events if e["name"] == "CPU MainThread"]
    assert cpu == [(0, 0.5), (100000, 0), (380000, 1.0), (400000, 0)]
    lag = [(e["ts"], e["args"]["lag_ms"]) for e in trace_events
           if e["name"] == "event loop lag (ms)"]
    assert lag == [(50000, 250.0), (300000, 0)]  # as the strip draws it: over [t - lag, t]
    client = [(e["ts"], e["args"]["requests"]) for e in trace_events
              if e["name"] == "in flight at the client"]
    assert client == [(1000, 1), (500000, 0)]  # from the spans (the loop sample has no say)
    run, = complete(trace_events, "run")
    assert run["dur"] == 600000 and trace["otherData"]["params"] == {"n": 2}


def test_a_worker_serving_many_at_once_gets_a_track_per_request_it_holds(tmp_path):
    path = tmp_path / "many.json"
    result = run_runner("asyncio", "--trace", str(path), n=5, delay=0.3, server="asyncio")
    assert result.returncode == 0, result.stderr
    trace_events = check_trace_event_format(json.loads(path.read_text()))
    served = complete(trace_events, "served")
    assert len(served) == 5 and len({e["tid"] for e in served}) == 5  # all five at once
    names = {e["args"]["name"] for e in trace_events if e["ph"] == "M"
             and e["name"] == "thread_name" and e["pid"] == tracefile.SERVER}
    worker, = {span["worker"] for span in result.spans}
    assert names == {worker} | {f"{worker} ({k})" for k in range(2, 6)}


def test_a_stall_told_while_it_lasted_is_one_plateau_of_its_whole_length():
    """The watcher tells a stall every GROW seconds while it lasts, the probe its whole length
    once it ends: the samples nest, and the trace shows the stall once, then each later late
    timer."""
    counters = tracefile.loop_counters([
        {"t": 1.0, "lag": 1.0, "in_flight": 2}, {"t": 1.5, "lag": 1.5, "in_flight": 2},
        {"t": 2.5, "lag": 0.02, "in_flight": 0}])
    lag = [(e["ts"], e["args"]["lag_ms"]) for e in counters
           if e["name"] == "event loop lag (ms)"]
    assert lag == [(0, 1500.0), (1500000, 0), (2480000, 20.0), (2500000, 0)]
    assert {e["name"] for e in counters} == {"event loop lag (ms)"}
