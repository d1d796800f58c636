"""RunManager in-process, with runners that misbehave on purpose (a stand-in command)."""
import sys

import pytest

from live import runs as runs_module
from live.hub import Hub
from live.runs import Busy, RunManager
from live.servers import SlowServers
from live.store import Store

BEHAVIOURS = {
    "hangs": "import time; print('{\"type\": \"run_start\"}', flush=True); time.sleep(60)",
    "crashes": "import sys; sys.stderr.write('Traceback...\\nBoom: it broke\\n'); sys.exit(1)",
    "babbles": ("import json\n"
                "print('not json'); print('[1]'); print(json.dumps({'type': 'evil'}))\n"
                "print(json.dumps({'type': 'span', 'i': 'x', 'client_start': 0}))\n"
                "print(json.dumps({'type': 'span', 'i': 0, 'client_start': 0.1, "
                "'client_end': 0.2, 'server_start': None, 'server_end': None, "
                "'worker': None, 'actor': 'T', 'extra': '<script>'}))\n"
                "print(json.dumps({'type': 'run_end', 'total': 0.25, 'ideal': 0.2}))"),
    "exits_early_with_orphan": ("import subprocess, sys\n"
                                "subprocess.Popen([sys.executable, '-c', "
                                "'import time; time.sleep(60)'])\n"),
}


@pytest.fixture
def manager(tmp_path, monkeypatch):
    store = Store(tmp_path / "db.sqlite3")
    servers = SlowServers()
    manager = RunManager(store, Hub(), servers, timeout=1.0)
    monkeypatch.setattr(runs_module, "TIMEOUT_GRACE", 0.5)
    monkeypatch.setattr(runs_module, "ORPHAN_GRACE", 0.5)
    yield manager
    manager.close()
    servers.stop_all()
    store.close()


def run_with(manager, monkeypatch, behaviour):
    """Start a CPU demo (no slow server) whose runner is replaced by `behaviour`."""
    monkeypatch.setattr(runs_module, "command",
                        lambda run, url, limit: [sys.executable, "-c", BEHAVIOURS[behaviour]])
    run_id = manager.start("cpu_threads", "p1", {"n": 1})
    manager.wait(30)
    return manager.store.run(run_id)


def test_a_runner_that_ignores_its_timeout_is_killed(manager, monkeypatch):
    run = run_with(manager, monkeypatch, "hangs")
    assert run["status"] == "timeout"
    assert [e["message"] for e in run["errors"]] == ["timed out: killed after 1 s"]
    assert manager.active_id() is None


def test_a_crashing_runner_is_reported_with_its_last_words(manager, monkeypatch):
    run = run_with(manager, monkeypatch, "crashes")
    assert run["status"] == "failed"
    assert run["errors"][0]["message"] == "the runner exited with status 1: Boom: it broke"


def test_only_well_formed_events_are_relayed(manager, monkeypatch):
    run = run_with(manager, monkeypatch, "babbles")
    assert run["status"] == "done" and run["total"] == 0.25 and run["ideal"] == 0.2
    span, = run["spans"]
    assert "extra" not in span and span["actor"] == "T" and span["run"] == run["id"]


def test_an_orphan_holding_stdout_does_not_hold_the_run(manager, monkeypatch):
    run = run_with(manager, monkeypatch, "exits_early_with_orphan")
    assert run["status"] == "done"


def test_a_second_run_is_busy(manager, monkeypatch):
    monkeypatch.setattr(runs_module, "command",
                        lambda run, url, limit: [sys.executable, "-c", BEHAVIOURS["hangs"]])
    manager.start("cpu_threads", None, {})
    with pytest.raises(Busy):
        manager.start("cpu_threads", None, {})
    manager.cancel()
    manager.wait(30)
    assert manager.store.runs()[0]["status"] == "cancelled"
