"""Reads never wait on the writer (issue 14, item 3): GET /api/state, the run list and a hello
come from memory, big reads use read connections of their own, and a slow commit holds up only
the publisher that makes it."""
import threading
import time

import pytest

from live import close_app, create_app
from live.runcache import CLIENT_REQUEST_COST, Pacers

DEADLINE = 10.0


@pytest.fixture
def app(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    close_app(app)


def in_thread(job):
    """Start `job` in a thread; returns (thread, result list)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(job()), daemon=True)
    thread.start()
    return thread, result


def test_reads_answer_while_the_writer_is_held(app):
    live, client = app.extensions["live"], app.test_client()

    def read_everything():
        return (client.get("/api/state").get_json(), client.get("/api/runs").get_json(),
                live.greeting("audience")(live.hub.seq),
                live.store.read("SELECT count(*) FROM events"))

    with live.store.lock:  # the writer's connection is busy (a long commit)
        thread, result = in_thread(read_everything)
        thread.join(DEADLINE)
        assert not thread.is_alive(), "a read waited for the writer"
    state, runs, hello, rows = result[0]
    assert state["seq"] == 0 and runs == [] and '"type":"hello"' in hello and rows == [(0,)]


def test_a_slow_commit_does_not_hold_up_the_room(app, monkeypatch):
    live, client = app.extensions["live"], app.test_client()
    release, entered = threading.Event(), threading.Event()
    save = live.store.save_slide

    def slow_save(slide, seq):
        entered.set()
        release.wait(DEADLINE)  # the disk is slow
        save(slide, seq)

    monkeypatch.setattr(live.store, "save_slide", slow_save)
    mover, _ = in_thread(lambda: live.goto(3))
    assert entered.wait(DEADLINE)
    try:
        reader, result = in_thread(lambda: (client.get("/api/state").get_json(),
                                            live.greeting("audience")(live.hub.seq)))
        reader.join(DEADLINE)
        assert not reader.is_alive(), "a read waited for a commit"
        assert result[0][0]["slide"] == 0  # not shown before it is on disk
    finally:
        release.set()
        mover.join(DEADLINE)
    assert client.get("/api/state").get_json()["slide"] == 3


def test_readers_of_runs_share_a_byte_rate():
    pacers = Pacers(rate=1e9, burst=0, client_rate=2e6, client_burst=0)
    started = time.monotonic()
    sent = b"".join(pacers.paced(b"x" * 200_000, "10.0.0.7"))
    assert sent == b"x" * 200_000
    took = time.monotonic() - started
    assert took >= (200_000 + CLIENT_REQUEST_COST) / 2e6 * 0.9  # never faster than its rate
    started = time.monotonic()
    b"".join(pacers.paced(b"x" * 1000, "10.0.0.8"))  # another client is not held up by it
    assert time.monotonic() - started < took
