"""Helpers for the demo-engine tests: run `python -m runner` as a child and read its JSON lines.

(A module of its own, not conftest.py, so that tests can import it by a name no other folder uses.)
"""
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
RUN_LIMIT = 60  # seconds: a hung runner fails the test instead of hanging the suite


@dataclass
class Result:
    """A finished runner process: exit status, JSON events, stderr, and where the caller
    timed it, when its run began on the caller's perf_counter clock."""
    returncode: int
    events: list
    stderr: str
    start: float = None

    def of(self, kind):
        return [event for event in self.events if event["type"] == kind]

    @property
    def spans(self):
        return self.of("span")

    @property
    def errors(self):
        return self.of("error")

    @property
    def end(self):
        return self.events[-1]


def runner_command(demo, *args, url=None, **params):
    command = [sys.executable, "-m", "runner", str(demo), "--json"]
    for name, value in params.items():
        command += [f"--{name}", str(value)]
    if url:
        command += ["--url", url]
    return command + list(args)


def run_runner(demo, *args, url=None, **params):
    done = subprocess.run(runner_command(demo, *args, url=url, **params), cwd=ROOT,
                          capture_output=True, text=True, timeout=RUN_LIMIT)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    return Result(done.returncode, events, done.stderr)


def overlap(spans, start="server_start", end="server_end"):
    """The largest number of spans in progress at one moment."""
    edges = sorted([(s[start], 1) for s in spans] + [(s[end], -1) for s in spans],
                   key=lambda edge: (edge[0], edge[1]))  # an end before a start at a tie
    current = peak = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def cpu_seconds(samples):
    """The CPU seconds `cpu` events add up to (each its share of a core times its length)."""
    return sum(s["busy"] * s["dt"] for s in samples)
