"""Fixtures for the engine tests (runner/): the runner as a child against a real slow server.

Chain: slow_server (root conftest: gunicorn -w 3 on a free port, one per module) -> run_demo
(`python -m runner DEMO --json` against it) -> Result (the parsed JSON lines, see runhelp.py).
"""
import socket

import pytest

from runhelp import run_runner


@pytest.fixture
def run_demo(slow_server):
    """Run `python -m runner DEMO --json` against the module's gunicorn; a Result."""
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
