"""Fixtures for the demo-engine tests: real slow servers on free ports, and the runner as a child.

Chain: slow_server (gunicorn -w 3, one per session) -> run_demo (python -m runner ... --json
against it) -> Result (the parsed JSON lines, see runhelp.py).
"""
import socket

import pytest

from runner.serve import start_asyncio_server, start_gunicorn
from runhelp import WORKERS, run_runner


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
    """Run `python -m runner DEMO --json` against the session's gunicorn; a Result."""
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
