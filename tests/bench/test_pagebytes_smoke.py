"""bench/pagebytes.py, run as its command (tests never import bench/): it starts its own app and
counts real loads (a fresh phone, then a reload that asks for the page, the deck and /api/demos
only); it exits 1 when a load misses its goal (first load <= 230 KB, reload <= 30 KB)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
ROW = re.compile(r"^\| (.+?) \| (first load|reload) \| (\d+) \| ([\d.]+) \| .*\| ([\d.]+) \| (.+) \|$",
                 re.M)


@pytest.mark.browser
def test_pagebytes_counts_a_first_load_and_a_reload():
    done = subprocess.run([sys.executable, "-m", "bench.pagebytes", "--samples", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    rows = {(client, load): (int(responses), float(total), verdict)
            for client, load, responses, _http, total, verdict in ROW.findall(done.stdout)}
    assert len(rows) == 4, done.stdout + done.stderr[-2000:]
    for (client, load), (responses, total, verdict) in rows.items():
        assert verdict.endswith(": met"), (client, load, total)
        if load == "reload":
            assert responses == 3, client  # the page, the deck, /api/demos: assets are immutable
    chromium = rows[("Chromium, iPhone 13 (brotli)", "first load")][1]
    plain = rows[("plain http:// client (gzip)", "first load")][1]
    assert 50 < chromium < plain  # remark alone is 172 KB in brotli; gzip is larger
    assert done.returncode == 0, done.stdout
