"""bench/venue.py at a small scale, run as its command (tests never import bench/): a namespace
of its own, phones inside, every figure measured, and nothing left behind."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.slow


def namespaces():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_venue_bench_measures_and_cleans_up():
    before = namespaces()
    done = subprocess.run([sys.executable, "-m", "bench.venue", "--phones", "3", "--requests",
                           "50", "--runs", "3"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    if "skipped" in done.stdout:  # no root or no namespaces here: one line, and no failure
        assert done.stdout.count("\n") == 1
        return
    rows = re.findall(r"^\| \((a|b|c)\) ([^|]+)\| ([^|]*)\| ([^|]*)\| ([^|]*)\| ([^|]*)\| ([^|]*)\|$",
                      done.stdout, re.M)
    timed = [row for row in rows if row[1].rstrip().endswith(("s", "requests)", "in sync, s"))]
    assert {row[0] for row in timed} == {"a", "b", "c"}, done.stdout
    for phase, _measure, p50, _max, _goal, met, errors in timed:
        assert float(p50) >= 0 and errors.strip() == "0", (phase, done.stdout)
    assert "cl-venue" not in namespaces() or namespaces() == before  # removed what it made
