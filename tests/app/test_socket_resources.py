"""Bounded resources (issue 14 item 9): idle slow servers stop, at most a few run at once,
none outlives an app killed with SIGKILL, and process demos cannot ask for more processes
than the machine holds."""
import os
import signal
import time

import pytest
import requests

from harness.procs import descendants, parents
from live.servers import SlowServers
from runner import serve
from runner.catalog import process_limit, validate
from runner.params import ParamError


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid):
    """Running, and not a zombie waiting for a reaper."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, deadline=15.0):
    give_up = time.monotonic() + deadline
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < give_up:
        time.sleep(0.05)  # polling a condition with a deadline
    return left


def test_no_slow_server_outlives_an_app_killed_with_sigkill(app_factory):
    app = app_factory()
    tree = descendants(app.pid, parents())
    servers = [p for p in tree if "demos.slow_server:app" in cmdline(p)]
    assert servers, [cmdline(p) for p in tree]
    for pid in [app.pid, *tree]:
        if "demos.slow_server" not in cmdline(pid):
            os.kill(pid, signal.SIGKILL)  # the app's own processes, not the servers
    app.process.wait(10)
    app.process = None  # nothing left for the fixture to stop
    assert wait_gone(servers) == []


def test_idle_servers_stop_and_only_a_few_run_at_once():
    servers = SlowServers(keep=2, idle_after=0.5)
    try:
        first = servers.url(1)
        servers.url(2)
        servers.url(3)  # makes room: the least recently used (1) is stopped
        assert set(servers.running()) == {2, 3}
        assert first not in servers.running().values()
        give_up = time.monotonic() + 15
        while servers.running() and time.monotonic() < give_up:
            time.sleep(0.05)  # polling a condition with a deadline
        assert servers.running() == {}
    finally:
        servers.stop_all()


def test_a_server_started_from_a_short_lived_thread_survives_it():
    """The tether belongs to the starting thread: runner/serve.py starts every server from its
    one long-lived thread, so a run's thread ending does not take the server with it."""
    import threading
    servers = SlowServers()
    try:
        urls = []
        thread = threading.Thread(target=lambda: urls.append(servers.url(1)))
        thread.start()
        thread.join(30)
        assert urls and serve.answers(int(urls[0].rsplit(":", 1)[1].strip("/")))
        time.sleep(0.5)  # give a wrongly tethered server time to die
        assert servers.running() == {1: urls[0]}
    finally:
        servers.stop_all()


def test_process_demos_are_bounded_by_the_machine():
    limit, reason = process_limit()
    assert limit >= 1 and reason
    assert validate("processes", {"concurrency": limit})["concurrency"] == limit
    with pytest.raises(ParamError, match=f"at most {limit}"):
        validate("cpu_processes", {"concurrency": limit + 1})
    assert validate("thread_pool", {"concurrency": 1000})["concurrency"] == 1000


def test_the_api_refuses_too_many_processes_with_a_reason(live_app):
    response = requests.post(f"{live_app.url}/api/runs", timeout=10,
                             json={"demo": "processes", "concurrency": 1000},
                             headers={"Authorization": f"Bearer {live_app.token}"})
    assert response.status_code == 400
    assert "at most" in response.json()["error"]
