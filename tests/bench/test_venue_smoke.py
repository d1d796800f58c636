"""bench/venue.py at a small scale: a namespace of its own, phones inside, every figure measured,
and nothing left behind."""
import os
import subprocess

import pytest

from bench import venue

pytestmark = pytest.mark.slow


def namespaces():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_venue_bench_measures_and_cleans_up(capsys):
    rows = venue.main(["--phones", "3", "--requests", "50", "--runs", "3"])
    out = capsys.readouterr().out
    if rows is None:  # no root or no namespaces here: one line, and no failure
        assert out.count("\n") == 1 and "skipped" in out
        return
    for name in "abc":
        assert rows[name]["errors"] == [], rows[name]["errors"]
        assert len(rows[name]["times"]) == 3 and all(t >= 0 for t in rows[name]["times"])
    assert rows["a"]["rx_per_phone"] > 10_000  # the page and remark at least
    assert rows["c"]["runs"] == 3
    assert "| (a) first slide, s |" in out
    assert f"cl-venue-{os.getpid()}" not in namespaces()
