"""The slide files run by hand, as a learner does after the talk: `python -m demos.client_...`."""
import subprocess
import sys
from pathlib import Path

import pytest

from runner.catalog import DEMOS

ROOT = Path(__file__).resolve().parents[2]
CLIENT_MODULES = [d.module for d in DEMOS.values() if d.kind == "client"]


@pytest.mark.parametrize("module", CLIENT_MODULES)
def test_each_client_runs_by_hand(slow_server, module):
    done = subprocess.run([sys.executable, "-m", module, "--n", "3", "--delay", "0.1", "--url",
                           slow_server.url], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["This is a slow web api"] * 3 and lines[3].startswith("total: ")


@pytest.mark.parametrize("args, reason", [
    (["--n", "0"], "argument --n: must be between 1 and 10000"),
    (["--delay", "x"], "argument --delay: expected a number"),
    (["--url", "ftp://x"], "argument --url: expected an http:// URL"),
    (["--fail", "4"], "--fail must be between 0 and --n (3)"),
])
def test_bad_command_lines_exit_2_with_one_line(args, reason):
    done = subprocess.run([sys.executable, "-m", "demos.client_sync", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and reason in done.stderr.splitlines()[-1]
