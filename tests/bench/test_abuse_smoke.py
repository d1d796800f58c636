"""Smoke test of bench/abuse.py: every scenario at a small scale prints its rows; generous
bounds only (the figures belong in docs/BENCHMARKS.md)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_every_scenario_runs_and_prints_the_table():
    command = [sys.executable, "-m", "bench.abuse", "--half-open", "100", "--idle-ws", "40",
               "--ramp", "1", "--flooders", "3", "--flood-seconds", "5", "--followers", "5",
               "--stop-seconds", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "| scenario | measure | value | goal |" in out
    for scenario in ("connections", "flood", "stop"):
        assert f"| {scenario} |" in out
    assert "failed" not in out.split("fresh visitor: loaded", 1)[1].split("\n", 1)[0]
    assert "not all" not in out
    assert "ends, not lost: met" in out


def test_bad_options_are_refused_with_a_reason():
    done = subprocess.run([sys.executable, "-m", "bench.abuse", "--followers", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "--followers must be 1-1000" in done.stderr
