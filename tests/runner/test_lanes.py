"""Inside a run, without running anything: how a lane turns one actor's readings into few `cpu`
events (runner/lane.py), and when the collector lets held samples go (runner/collect.py)."""
import os

import pytest

from runhelp import cpu_seconds
from runner import lane
from runner.collect import FLUSH, Collector


def lane_events(shares, tick=0.02):
    """The events a Lane makes of one share of a core per tick (then its last, closed)."""
    actor, cpu, closed = lane.Lane("T", 0.0, 0.0), 0.0, []
    for k, share in enumerate(shares, 1):
        cpu += share * tick
        closed += actor.add(cpu, k * tick)
    closed += actor.close()
    return [{"t": end, "busy": busy, "dt": end - start}
            for _, start, end, busy in filter(None, closed)]


def test_a_waiting_threads_slivers_send_nothing_and_a_spike_stays():
    """sync's main thread: a few ms of CPU after each response, 0.5 s apart (0.15 of a core
    for one tick): quiet, and under IDLE over QUIET_HOLD, so no lane; a tick at a whole core
    is a spike of its own (weighed with its neighbour: half a core over two ticks)."""
    sliver = ([0.15] + [0.0] * 24) * 9
    assert lane_events(sliver) == []
    spike, = lane_events([0.0] * 10 + [1.0] + [0.0] * 10)
    assert spike["busy"] == pytest.approx(0.5) and spike["dt"] == pytest.approx(0.04)


def test_quiet_work_merges_into_long_events_with_its_cpu():
    """A tenth of a core, steadily or in every other tick: events of up to QUIET_HOLD, gaps
    and all, at their mean, the CPU kept."""
    for shares in ([0.1] * 100, [0.2, 0.0] * 50):
        found = lane_events(shares)
        assert len(found) <= 2 / lane.QUIET_HOLD + 1, found
        assert all(e["dt"] <= lane.QUIET_HOLD + 0.03 for e in found)
        assert cpu_seconds(found) == pytest.approx(0.2, abs=0.005)
        assert all(e["busy"] == pytest.approx(0.1, abs=0.015) for e in found[:-1]), found


def test_threads_taking_turns_at_the_gil_are_half_a_core_each():
    """Two CPU-bound threads read 1/3 and 2/3 of a core in turn (their count moves a scheduler
    tick or a GIL switch at a time): their events are HOLD long at half a core, not one per
    tick; a real change (the other thread done: a whole core) still ends the event within two
    ticks."""
    found = lane_events([1 / 3, 2 / 3] * 25 + [1.0] * 10)
    assert len(found) <= 1 / lane.HOLD + 3, found
    assert all(e["busy"] == pytest.approx(0.5, abs=0.1) for e in found[:-1]), found
    assert found[-1]["busy"] == pytest.approx(1.0) and found[-1]["t"] == pytest.approx(1.2)
    assert cpu_seconds(found) == pytest.approx(0.5 + 0.2)


class Lines:
    """A writer that keeps each write (a list of events written at once)."""

    def __init__(self):
        self.writes = []

    def __call__(self, event):
        self.writes.append([event])

    def many(self, events):
        self.writes.append(list(events))


def test_samples_wait_for_the_next_line_to_go_out_with_it():
    """Held samples go out in the same write as the next span or run-level line (so the relay
    sends them in its frame), or alone once one has waited its FLUSH: a CPU lane sooner than
    a loop sample, for a CPU slide has no spans to ride with."""
    lines = Lines()
    collector = Collector(lines)
    collector.t0 = 100.0
    cpu = {"type": "cpu", "t": 0.1, "actor": "T", "busy": 0.5, "dt": 0.1}
    loop = {"type": "loop", "t": 0.12, "lag": 0.0, "in_flight": 1}
    collector.hold([cpu], 100.1)
    collector.hold([loop], 100.12)
    collector.hold([], 100.1 + FLUSH["cpu"] / 2)
    assert lines.writes == []
    collector({"pid": os.getpid(), "e": "start", "k": 1})
    collector({"pid": os.getpid(), "e": "end", "k": 1, "actor": "T", "cs": 100.0, "ce": 100.5,
               "ss": None, "se": None, "w": None, "st": 200, "err": None})
    (a, b, span), = lines.writes
    assert (a, b) == (cpu, loop) and span["type"] == "span" and span["i"] == 0
    collector.hold([cpu], 101.0)
    collector.hold([], 101.0 + FLUSH["cpu"] - 0.01)
    assert len(lines.writes) == 1
    collector.hold([], 101.0 + FLUSH["cpu"])
    assert lines.writes[-1] == [cpu]
    collector.hold([loop], 101.5)
    collector.hold([], 101.5 + FLUSH["loop"] - 0.01)
    assert len(lines.writes) == 2
    collector.hold([], 101.5 + FLUSH["loop"])
    assert lines.writes[-1] == [loop]
    collector.hold([loop], 102.0)
    collector.emit({"type": "run_end", "total": 2.0, "ideal": 2.0}, last=True)
    assert lines.writes[-1] == [loop, {"type": "run_end", "total": 2.0, "ideal": 2.0}]
