"""Fixtures for the demo-engine tests: real slow servers on free ports, and the runner as a child.

Chain: slow_server (gunicorn -w 3, one per session) -> run_demo (python -m demos.run ... --json
against it) -> Result (the parsed JSON lines).
"""
import json
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from demos.serve import start_asyncio_server, start_gunicorn

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
RUN_LIMIT = 60  # seconds: a hung runner fails the test instead of hanging the suite


@dataclass
class Result:
    """A finished runner process: exit status, JSON events, stderr."""
    returncode: int
    events: list
    stderr: str

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
    command = [sys.executable, "-m", "demos.run", str(demo), "--json"]
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


@pytest.fixture(scope="session")
def slow_server():
    """gunicorn with three sync workers serving demos.slow_server:app on a free port."""
    with start_gunicorn(workers=WORKERS) as server:
        yield server


@pytest.fixture(scope="session")
def async_server():
    """The aiohttp slow server on a free port."""
    with start_asyncio_server() as server:
        yield server


@pytest.fixture
def run_demo(slow_server):
    """Run `python -m demos.run DEMO --json` against the session's gunicorn; a Result."""
    def run(demo, *args, **params):
        params.setdefault("url", slow_server.url)
        return run_runner(demo, *args, **params)
    return run


@pytest.fixture
def closed_url():
    """A loopback URL where nothing listens (a port that was just free)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
