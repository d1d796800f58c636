"""bench/abuse_reads.py at a small scale: both phases measured, no slide change missed."""
import pytest

from bench import abuse_reads

pytestmark = pytest.mark.slow


def test_abuse_reads_bench_prints_both_phases(capsys):
    rows = abuse_reads.main(["--readers", "2", "--requests", "50", "--followers", "2",
                             "--changes", "4", "--pace", "0.1"])
    out = capsys.readouterr().out
    assert [name for name, _ in rows] == ["quiet", "2 readers"]
    for _, row in rows:
        assert row["missed"] == 0 and row["slide_p99"] is not None and row["state_p99"] is not None
    assert rows[1][1]["reads"] > 0 and rows[1][1]["read_errors"] == 0
    assert "| quiet |" in out and "goals:" in out
