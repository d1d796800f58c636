"""bench/pageload.py against the real app: one load per view, a first slide, no other host."""
from bench.pageload import measure


def test_first_slide_loads_without_other_hosts(chromium, live_app):
    rows = measure(chromium, live_app, samples=1)
    assert [view for view, _, _ in rows] == ["audience", "presenter"]
    for view, times, foreign in rows:
        assert len(times) == 1 and 0 < times[0] < 15_000, view  # generous: a deadline
        assert foreign == [], (view, foreign)
