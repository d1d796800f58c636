"""bench/pageload.py, run as its command (tests never import bench/): it starts its own app and
Chromium; one load per view, a first slide, no other host."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.browser
def test_first_slide_loads_without_other_hosts():
    done = subprocess.run([sys.executable, "-m", "bench.pageload", "--samples", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    rows = re.findall(r"^\| (audience|presenter) \| (\d+) \| (\d+) \| (\d+) \|", done.stdout, re.M)
    assert [view for view, *_ in rows] == ["audience", "presenter"]
    for view, p50, _max, foreign in rows:
        assert 0 < int(p50) < 15_000, view  # generous: a deadline
        assert foreign == "0", view
