"""Faults against real apps: hung demos, a killed slow server, a follower that stops reading,
a restart mid-talk and a crashed worker."""
import asyncio
import os
import signal
import socket
import time

import requests

from viewers import connect, raw_socket, runs, state, wait_idle

BEARER = "Authorization"


def parent_of(pid):
    """The parent pid, from /proc (the command name may hold spaces and parentheses)."""
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if parent_of(int(entry)) == pid:
                    found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass  # it ended while we looked
    return found


def wait_for_children(pid, count, deadline=10.0):
    give_up = time.monotonic() + deadline
    while len(found := children_of(pid)) < count and time.monotonic() < give_up:
        time.sleep(0.02)  # polling a condition with a deadline
    assert len(found) >= count, found
    return found


def start_run(app, **body):
    response = requests.post(f"{app.url}/api/runs", json=body, timeout=10,
                             headers={BEARER: f"Bearer {app.token}"})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_a_hung_demo_is_killed_at_its_timeout(live_app):
    wait_idle(live_app)

    async def scenario():
        async with connect(live_app) as follower:
            started = time.perf_counter()
            run_id = start_run(live_app, demo="threads", n=1, delay=30, timeout=2)
            end = await follower.wait_type("run_end", run=run_id, timeout=20)
            return run_id, end, time.perf_counter() - started

    run_id, end, took = asyncio.run(scenario())
    assert end["status"] == "timeout"
    assert 2 <= took < 10
    errors = requests.get(f"{live_app.url}/api/runs/{run_id}", timeout=10).json()["errors"]
    assert any("timed out" in e["message"] and e["i"] is None for e in errors)
    # the app goes on: the next run is fine (on a fresh slow server)
    assert_next_run_is_done(live_app)


def assert_next_run_is_done(app):
    async def scenario():
        async with connect(app) as follower:
            run_id = start_run(app, demo="threads", n=3, delay=0.1)
            return await follower.wait_type("run_end", run=run_id, timeout=30)

    end = asyncio.run(scenario())
    assert end["status"] == "done", requests.get(f"{app.url}/api/runs/{end['run']}").text
    return end


def test_a_slow_server_killed_mid_run(live_app):
    wait_idle(live_app)

    async def scenario():
        async with connect(live_app) as follower:
            run_id = start_run(live_app, demo="threads", n=6, delay=1)
            span = await follower.wait_type("span", run=run_id, timeout=20)
            master = parent_of(int(span["worker"].split()[1]))
            os.killpg(master, signal.SIGKILL)  # gunicorn and its workers
            end = await follower.wait_type("run_end", run=run_id, timeout=30)
            return run_id, end

    run_id, end = asyncio.run(scenario())
    assert end["status"] == "failed"
    stored = requests.get(f"{live_app.url}/api/runs/{run_id}", timeout=10).json()
    assert stored["errors"] and len(stored["spans"]) + len(stored["errors"]) >= 4
    assert_next_run_is_done(live_app)


def test_a_follower_that_stops_reading_is_dropped(app_factory):
    # Compact frames: 8,000 spans are ~190 KB, well over what the kernel holds for the stalled
    # one (its 64 KiB send buffer, which Linux doubles, and its 2 KiB receive buffer) and 8
    # queued batches (a batch holds what the runner wrote within LINGER); 5,000 were ~120 KB.
    app = app_factory("--queue-size", "8")
    stalled = raw_socket(app, rcvbuf=1024)  # says hello... and never reads again

    async def scenario():
        async with connect(app) as healthy:
            run_id = start_run(app, demo="thread_pool", n=8000, concurrency=10, delay=0)
            end = await healthy.wait_type("run_end", run=run_id, timeout=60)
            lag = time.time() - end["at"]
            return healthy.seen, end, lag

    try:
        seen, end, lag = asyncio.run(scenario())
        assert end["status"] == "done"
        seqs = [m["seq"] for m in seen if "seq" in m and m["type"] != "hello"]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the healthy one lost events"
        assert sum(m["type"] == "span" for m in seen) == 8000
        assert lag < 2.0  # not held back by the stalled one (generous bound)
        assert reset_by_server(stalled)
    finally:
        stalled.close()


def reset_by_server(sock, deadline=10.0):
    """True if the server reset the socket: what it still held for the follower is thrown
    away, not sent on to a peer that does not read (EOF after it, or silence, is False)."""
    sock.settimeout(deadline)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


def test_restart_mid_talk_restores_slide_and_runs(app_factory, tmp_path):
    app = app_factory(instance=tmp_path / "instance")

    async def before():
        async with connect(app, headers={BEARER: f"Bearer {app.token}"}) as presenter:
            await presenter.send({"type": "goto", "slide": 3})
            await presenter.wait_type("slide", slide=3)
            run_id = start_run(app, demo="threads", panel="p2", n=2, delay=0.1)
            await presenter.wait_type("run_end", run=run_id, timeout=30)
            return run_id

    run_id = asyncio.run(before())
    stored = requests.get(f"{app.url}/api/runs/{run_id}", timeout=10).json()
    assert app.stop(signal.SIGINT) == 0  # Ctrl-C
    app.start()

    async def after():
        async with connect(app) as late:
            return late.hello

    hello = asyncio.run(after())
    assert state(app)["slide"] == 3 and hello["slide"] == 3
    assert hello["seq"] >= stored["last_seq"]
    assert [r["id"] for r in hello["runs"]] == [run_id]
    assert requests.get(f"{app.url}/api/runs/{run_id}", timeout=10).json() == stored


def test_a_crashed_worker_leaves_its_run_failed(app_factory):
    app = app_factory()
    worker, = children_of(app.pid)
    run_id = start_run(app, demo="sync", n=3, delay=2)
    orphans = wait_for_children(worker, 2)  # the slow server and the runner (own groups)
    os.kill(worker, signal.SIGKILL)
    try:
        app.wait_for_line("Serving on ", 60)  # gunicorn started a new worker
    finally:
        for pid in orphans:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    stored = requests.get(f"{app.url}/api/runs/{run_id}", timeout=10).json()
    assert stored["status"] == "failed"
    assert [e["message"] for e in stored["errors"]] == ["the app stopped while this run was going"]
    assert state(app)["active"] is None
    assert [r["status"] for r in runs(app)] == ["failed"]
    assert_next_run_is_done(app)
