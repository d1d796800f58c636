"""A sleeping laptop (issue 14 item 6): the whole app stopped (SIGSTOP, as Ctrl-Z does) for
longer than gunicorn's worker timeout, then resumed: the same worker, its sockets still open,
followers follow the next slide at once, and the run that was going ends with a status."""
import asyncio
import os
import signal
import time

import requests

from harness.procs import descendants, parents
from viewers import connect, wait_idle

TIMEOUT = 3  # --worker-timeout; the pause below is longer


def start_run(app, **body):
    response = requests.post(f"{app.url}/api/runs", json=body, timeout=10,
                             headers={"Authorization": f"Bearer {app.token}"})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def pause(app, seconds):
    """SIGSTOP the master, then everything below it; wait; SIGCONT them all."""
    tree = [app.pid, *descendants(app.pid, parents())]
    for pid in tree:
        os.kill(pid, signal.SIGSTOP)
    time.sleep(seconds)  # the pause under test, not a synchronisation
    for pid in reversed(tree):
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def run_status(app, run_id, deadline=60.0):
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        status = requests.get(f"{app.url}/api/runs/{run_id}", timeout=10).json()["status"]
        if status != "running":
            return status
        time.sleep(0.1)  # polling a condition with a deadline
    return "running"


def test_a_pause_longer_than_the_worker_timeout_loses_nothing(app_factory):
    app = app_factory("--worker-timeout", str(TIMEOUT))
    workers_before = [p for p, parent in parents().items() if parent == app.pid]
    cookie = {"presenter": requests.get(app.presenter_url, allow_redirects=False,
                                        timeout=10).cookies["presenter"]}

    async def scenario():
        async with connect(app, cookies=cookie) as presenter, connect(app) as follower:
            run_id = start_run(app, demo="thread_pool", n=40, concurrency=4, delay=0.2)
            await presenter.wait_type("run_start", run=run_id)
            await asyncio.get_running_loop().run_in_executor(None, pause, app, TIMEOUT + 3)
            started = time.monotonic()
            target = presenter.hello["slide"] + 1
            await presenter.send({"type": "goto", "slide": target})
            moved = await follower.wait_type("slide", slide=target, timeout=15)
            return run_id, moved, time.monotonic() - started

    run_id, moved, took = asyncio.run(scenario())
    assert took < 5.0  # generous: the same sockets, no reconnect
    assert [p for p, parent in parents().items() if parent == app.pid] == workers_before
    assert run_status(app, run_id) in ("done", "failed", "timeout"), "".join(app.output)
    assert "WORKER TIMEOUT" not in "".join(app.output)
    wait_idle(app)
