"""Smoke test of bench/crowd.py: a few devices against the real app (the bench starts its own),
generous bounds only; the figures belong in docs/BENCHMARKS.md."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_device_gets_its_own_row(tmp_path):
    out = tmp_path / "crowd.json"
    done = subprocess.run([sys.executable, "-m", "bench.crowd", "--devices", "6", "--gotos", "3",
                           "--pace", "0.1", "--leave-after", "0.5", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| tap -> own row |" in done.stdout
    result = json.loads(out.read_text())
    assert result["taps"] == 6 and result["rows"]["count"] == 6 and not result["refused"]
    assert result["slides"]["count"] == 6 * 3 and result["missed_slides"] == 0
    assert result["rows"]["max"] < 10.0  # generous: seconds, not milliseconds
    assert 0 < result["rss"] < 1024 ** 3
