"""Smoke test of bench/audience.py: a handful of followers against the real app, generous
bounds only (the figures themselves belong in docs/BENCHMARKS.md, not in asserts)."""
import asyncio
import subprocess
import sys
from pathlib import Path

from bench.audience import Options, measure
from bench.audience_followers import SAMPLE

ROOT = Path(__file__).resolve().parent.parent.parent
SMALL = {"followers": 5, "slides": 3, "requests": 20, "delay": 0.1, "deadline": 60.0}


def test_every_follower_sees_every_event(app_factory):
    app = app_factory()
    summary = asyncio.run(measure(app.url, app.token, app.pid, Options(**SMALL)))
    assert summary["connected"] == 5
    assert summary["run"]["status"] == "done"
    assert summary["run"]["spans"] == 20 and summary["run"]["contiguous"]
    assert summary["events"] == {"missed": 0, "recovered": 0, "lost": 0}
    assert summary["slides_missed"] == 0
    assert summary["slide_after_send"]["count"] == 5 * 3
    assert summary["span_after_at"]["count"] == -(-5 // SAMPLE) * 20  # 1 in SAMPLE times spans
    assert summary["slide_after_send"]["max"] < 5.0  # generous: seconds, not milliseconds
    assert 0 < summary["rss"]["peak"] < 1024 ** 3


def test_dropped_followers_recover_what_they_missed(app_factory):
    """A queue of one batch drops followers during the burst: they reconnect, see the gap in
    seq and fetch the run; nothing may be lost either way."""
    app = app_factory("--queue-size", "1")
    options = Options(**{**SMALL, "followers": 4, "requests": 200})
    summary = asyncio.run(measure(app.url, app.token, app.pid, options))
    assert summary["connected"] == 4
    assert summary["events"]["lost"] == 0
    assert summary["events"]["recovered"] == summary["events"]["missed"]
    if summary["reconnects"]:
        assert summary["events"]["missed"] > 0


def test_the_command_starts_its_own_app_and_prints_the_table():
    command = [sys.executable, "-m", "bench.audience", "--followers", "3", "--slides", "2",
               "--requests", "10", "--delay", "0.1", "--deadline", "60"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| followers connected | 3 / 3" in done.stdout
    assert "| events lost | 0 | 0: met |" in done.stdout


def test_bad_options_are_refused_with_a_reason():
    command = [sys.executable, "-m", "bench.audience", "--followers", "0"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "--followers must be 1-1000" in done.stderr
