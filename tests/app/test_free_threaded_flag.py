"""--free-threaded-python: checked at start-up, used for cpu_threads_ft only, never faked."""
import subprocess
import sys
from pathlib import Path

import pytest

from live.relay import Run
from live.runs import command
from runner.catalog import validate
from runner.pythons import find_free_threaded, probe

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path, words", [
    (sys.executable, "runs with the GIL: not a free-threaded build"),
    ("/no/such/python3.14t", "does not run"),
])
def test_a_python_that_is_not_free_threaded_is_refused(path, words):
    done = subprocess.run([sys.executable, "app.py", "--port", "0", "--free-threaded-python",
                           path], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert words in done.stderr.strip().splitlines()[-1]


def test_the_probe_says_why():
    assert probe(sys.executable)[0] is None
    path, version = find_free_threaded()
    assert (path is None) == (version is None)  # found and working, or nothing at all


def test_only_the_demo_that_needs_it_runs_under_it():
    ft = Run(None, "cpu_threads_ft", "p0", validate("cpu_threads_ft"))
    assert command(ft, None, 60, "/opt/python3.14t")[:3] == ["/opt/python3.14t", "-m", "runner"]
    plain = Run(None, "cpu_threads", "p1", validate("cpu_threads"))
    assert command(plain, None, 60)[0] == sys.executable


def test_a_panel_knows_before_run_what_is_missing(live_app, http):
    demos = {d["id"]: d for d in http.get(f"{live_app.url}/api/demos", timeout=10).json()}
    assert demos["cpu_threads"]["missing"] is None
    found, _ = find_free_threaded()
    missing = demos["cpu_threads_ft"]["missing"]
    assert (missing is None) == (found is not None)
    if missing:
        assert missing.startswith("no free-threaded Python on this machine")
        assert "uv python install 3.14t" in missing
