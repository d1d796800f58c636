"""bench/abuse_reads.py at a small scale, run as its command (tests never import bench/): both
phases measured, readers really read, no slide change missed."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.slow


def test_abuse_reads_bench_prints_both_phases():
    done = subprocess.run([sys.executable, "-m", "bench.abuse_reads", "--readers", "2",
                           "--requests", "50", "--followers", "2", "--changes", "4",
                           "--pace", "0.1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    rows = {cells[0]: cells for cells in (
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in done.stdout.splitlines() if re.match(r"\| (quiet|2 readers) \|", line))}
    assert set(rows) == {"quiet", "2 readers"}, done.stdout
    for name, cells in rows.items():
        assert cells[4] == "0", name  # missed slide changes
        assert cells[2] != "-" and cells[6] != "-", name  # slide p99, state p99 measured
    assert int(rows["2 readers"][8]) > 0 and rows["2 readers"][10] == "0"  # reads, no errors
    assert "goals:" in done.stdout
