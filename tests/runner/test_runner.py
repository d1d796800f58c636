"""The runner traces every demo, unchanged, in the JSON-lines format of docs/ARCHITECTURE.md."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

from runhelp import ROOT, WORKERS, overlap, run_runner, runner_command
from runner.catalog import DEMOS

D = 0.2
CLIENTS = [d.id for d in DEMOS.values() if d.kind == "client"]
# blocking_in_async is the sequential lesson in a coroutine; paced spaces its starts on purpose
CONCURRENT = [d for d in CLIENTS if d not in ("sync", "blocking_in_async", "paced")]
BOUNDED = ["thread_pool", "asyncio_semaphore", "processes"]
SPAN_KEYS = {"type", "i", "client_start", "client_end", "server_start", "server_end", "worker",
             "actor", "status"}


def check_format(result, n):
    """The exact contract: run_start first, run_end last, n spans numbered 0..n-1."""
    assert result.events[0].keys() == {"type", "demo", "params"}
    assert result.end.keys() == {"type", "total", "ideal"} and result.end["type"] == "run_end"
    assert all(span.keys() == SPAN_KEYS for span in result.spans)
    assert sorted(span["i"] for span in result.spans) == list(range(n))
    for span in result.spans:
        assert 0 <= span["client_start"] <= span["server_start"] <= span["server_end"]
        assert span["server_end"] <= span["client_end"] <= result.end["total"]


def test_sync_takes_at_least_n_times_the_delay(run_demo):
    result = run_demo("sync", n=3, delay=D)
    assert result.returncode == 0, result.stderr
    check_format(result, 3)
    assert result.end["total"] >= 3 * D
    assert overlap(result.spans, "client_start", "client_end") == 1


@pytest.mark.parametrize("demo", CONCURRENT)
def test_concurrent_clients_beat_n_times_the_delay(run_demo, demo):
    result = run_demo(demo, n=WORKERS, delay=0.3, concurrency=WORKERS)
    assert result.returncode == 0, result.stderr
    check_format(result, WORKERS)
    assert result.end["total"] < 0.75 * WORKERS * 0.3  # well under n·d
    assert result.end["ideal"] == pytest.approx(0.3)


@pytest.mark.parametrize("demo", BOUNDED)
def test_the_client_bound_caps_requests_in_flight_at_the_server(run_demo, demo):
    result = run_demo(demo, n=6, delay=D, concurrency=2)
    assert result.returncode == 0, result.stderr
    assert len(result.spans) == 6
    assert overlap(result.spans) <= 2
    assert result.end["ideal"] == pytest.approx(3 * D)


def test_processes_send_from_distinct_pids(run_demo):
    result = run_demo("processes", n=3, delay=D, concurrency=3)
    actors = {span["actor"] for span in result.spans}
    assert len(actors) == 3 and all(actor.startswith("pid ") for actor in actors)


@pytest.mark.parametrize("demo", ["threads", "thread_pool"])
def test_threads_send_from_distinct_threads(run_demo, demo):
    result = run_demo(demo, n=3, delay=D, concurrency=3)
    assert len({span["actor"] for span in result.spans}) == 3


def test_asyncio_tasks_are_named(run_demo):
    """One task per request, each named as asyncio names it (the numbers are asyncio's own
    counter, so only their shape is checked)."""
    result = run_demo("asyncio", n=3, delay=D)
    actors = {span["actor"] for span in result.spans}
    assert len(actors) == 3 and all(re.fullmatch(r"Task-\d+", actor) for actor in actors)


def test_the_sequential_server_never_overlaps_and_the_threaded_one_does():
    sequential = run_runner("server_sequential", n=4, delay=0.1)
    threaded = run_runner("server_threaded", n=4, delay=0.1)
    assert sequential.returncode == threaded.returncode == 0, sequential.stderr + threaded.stderr
    assert overlap(sequential.spans) == 1 and len({s["worker"] for s in sequential.spans}) == 1
    assert overlap(threaded.spans) >= 2 and len({s["worker"] for s in threaded.spans}) == 4


def test_the_pool_server_serves_at_most_its_workers_at_once():
    result = run_runner("server_pool", n=6, delay=0.1, workers=2)
    assert result.returncode == 0, result.stderr
    assert overlap(result.spans) <= 2 and len({s["worker"] for s in result.spans}) == 2


# A one-core baseline beside the demo: one busy process that, between a "mark" line and an
# "end" line on its stdin, measures the share of a core it got (CPU seconds per wall second).
PROBE = """
import select, sys, time

def busy_until_a_line():
    while not select.select([sys.stdin], [], [], 0)[0]:
        for _ in range(20_000):
            pass
    return sys.stdin.readline()

busy_until_a_line()
wall, cpu = time.perf_counter(), time.process_time()
busy_until_a_line()
print((time.process_time() - cpu) / (time.perf_counter() - wall), flush=True)
"""


def cpu_seconds(pid):
    """CPU time of a live process and of every child it has reaped, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cores_used(demo, **params):
    """How many cores' worth of CPU a run kept busy from its run_start to its run_end, in units
    of what one busy process got at the same time (the probe). The runner reaps its pool before
    it prints run_end, so its own /proc line then counts the pool's CPU too."""
    probe = subprocess.Popen([sys.executable, "-c", PROBE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    command = runner_command(demo, **params)
    with probe, subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as runner:
        for line in runner.stdout:  # blocking
            kind = json.loads(line)["type"]
            if kind in ("run_start", "run_end"):
                cpu, wall = cpu_seconds(runner.pid), time.perf_counter()
                probe.stdin.write("mark\n")
                probe.stdin.flush()
                marks = [(cpu, wall)] if kind == "run_start" else marks + [(cpu, wall)]
                if kind == "run_end":
                    break
        share = float(probe.stdout.readline())
        runner.stdout.read()
    assert runner.returncode == 0
    (cpu0, wall0), (cpu1, wall1) = marks
    return (cpu1 - cpu0) / (wall1 - wall0) / share


@pytest.mark.slow
def test_cpu_processes_run_in_parallel_and_cpu_threads_do_not():
    """The GIL, measured with CPU time against a one-core baseline measured at the same time,
    instead of a race of wall times (which another job on this 2-core machine decides). Four
    workers: four processes get about one busy process's share each while their tasks run,
    on an idle machine or a loaded one; four threads hold one GIL, so about one share (a little
    more under load: the scheduler favours threads that wake often, as GIL hand-offs do)."""
    params = {"n": 8, "concurrency": 4, "delay": 0.2}
    run_runner("cpu_threads", n=1, delay=0.01)  # calibrated (once an hour) before we measure
    used = {"cpu_threads": [], "cpu_processes": []}
    for _ in range(2):  # interleaved: both see the same machine
        for demo, shares in used.items():
            shares.append(cores_used(demo, **params))
    threads, processes = (sum(shares) / len(shares) for shares in used.values())
    assert threads < 2.5, used  # never the four shares the processes get
    assert processes > 1.4 * threads, used


def test_spans_stream_while_the_run_is_still_going(slow_server):
    command = runner_command("thread_pool", url=slow_server.url, n=2, delay=0.3, concurrency=1)
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as runner:
        for line in runner.stdout:  # blocking, line by line
            if json.loads(line)["type"] == "span":
                still_running = runner.poll() is None
                break
        rest = [json.loads(line) for line in runner.stdout]
    assert still_running
    assert rest[-1]["type"] == "run_end" and rest[-1]["total"] >= 0.6


@pytest.mark.parametrize("demo", CLIENTS)
def test_an_unreachable_server_gives_errors_and_a_failed_exit(demo, closed_url):
    result = run_runner(demo, url=closed_url, n=2, delay=D)
    assert result.returncode == 1
    assert result.errors and any("refused" in e["message"].lower() for e in result.errors)
    assert result.end["type"] == "run_end"


def test_a_server_killed_mid_run_gives_errors_not_a_hang():
    from runner.serve import start_gunicorn
    server = start_gunicorn(workers=2)
    command = runner_command("threads", url=server.url, n=2, delay=5)
    started = time.monotonic()
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as runner:
        assert json.loads(runner.stdout.readline())["type"] == "run_start"
        server.stop(grace=0.1)
        events = [json.loads(line) for line in runner.stdout]
    assert runner.returncode == 1
    assert [e for e in events if e["type"] == "error"] and events[-1]["type"] == "run_end"
    assert time.monotonic() - started < 5


def test_a_run_past_its_timeout_is_killed_and_says_so(run_demo):
    started = time.monotonic()
    result = run_demo("processes", n=2, delay=10, timeout=1)
    assert result.returncode == 3
    assert result.errors[-1] == {"type": "error", "i": None, "message": "timed out after 1 s"}
    assert result.end["type"] == "run_end"
    assert time.monotonic() - started < 8


@pytest.mark.parametrize("demo", ["threads", "thread_pool", "asyncio", "processes"])
def test_a_500_is_an_error_event(run_demo, demo):
    result = run_demo(demo, n=3, fail=1, delay=0.1)
    assert result.returncode == 1
    assert [e["message"].split(" from ")[0] for e in result.errors if e["i"] is not None] == [
        "HTTP 500"]
    raised = [e for e in result.errors if e["i"] is None]
    # The lesson: a thread's exception vanishes; a future, gather or Pool.map re-raises it.
    assert bool(raised) == (demo != "threads")


def test_bad_parameters_exit_2_with_the_reason():
    done = subprocess.run(runner_command("sync", delay="abc"), cwd=ROOT, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "runner: delay must be a number, got 'abc'"


def test_list_names_every_demo():
    done = subprocess.run(runner_command("--list"), cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    listed = [line.split()[0] for line in done.stdout.splitlines()]
    assert listed == list(DEMOS)


def test_without_url_the_runner_starts_its_own_server():
    result = run_runner("asyncio_session", n=20, delay=D, server="asyncio")
    assert result.returncode == 0, result.stderr
    assert len({span["worker"] for span in result.spans}) == 1  # one asyncio process
    assert result.end["total"] < 0.5 * 20 * D  # concurrent: well under one after another


@pytest.mark.parametrize("demo", ["threads", "asyncio", "processes"])
def test_sigterm_cancels_at_once_and_still_ends_the_stream(slow_server, demo):
    command = runner_command(demo, url=slow_server.url, n=3, delay=5)
    started = time.monotonic()
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as runner:
        assert json.loads(runner.stdout.readline())["type"] == "run_start"
        runner.terminate()
        events = [json.loads(line) for line in runner.stdout]
    assert runner.returncode == 143 and time.monotonic() - started < 4
    assert {"type": "error", "i": None, "message": "interrupted"} in events
    assert events[-1]["type"] == "run_end"


def test_without_json_a_readable_table(slow_server):
    done = subprocess.run([sys.executable, "-m", "runner", "sync", "--n", "2", "--delay", "0.1",
                           "--url", slow_server.url], cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[0].startswith("sync {")
    assert lines[1].split()[:3] == ["i", "sent", "taken"] and len(lines) == 5
    assert lines[-1].startswith("total ") and lines[-1].endswith("ideal 0.200 s")
