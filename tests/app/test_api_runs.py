"""Runs through the HTTP API against the real app: a real run streams to a socket and is
stored; one run at a time."""
import asyncio

import pytest

from viewers import connect, state, wait_idle


def test_a_real_run_streams_and_is_stored(live_app, presenter_http):
    wait_idle(live_app)

    async def scenario():
        async with connect(live_app) as follower:
            response = presenter_http.post(f"{live_app.url}/api/runs", timeout=10, json={
                "demo": "threads", "panel": "p2", "n": 3, "delay": 0.2})
            assert response.status_code == 202
            run_id = response.json()["id"]
            start = await follower.wait_type("run_start", run=run_id)
            spans = [await follower.wait_type("span", run=run_id) for _ in range(3)]
            end = await follower.wait_type("run_end", run=run_id)
            return run_id, start, spans, end

    run_id, start, spans, end = asyncio.run(scenario())
    assert start["demo"] == "threads" and start["panel"] == "p2"
    assert start["params"]["n"] == 3 and start["params"]["delay"] == 0.2
    seqs = [start["seq"]] + [s["seq"] for s in spans] + [end["seq"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert sorted(s["i"] for s in spans) == [0, 1, 2]
    assert end["status"] == "done" and end["ideal"] == pytest.approx(0.2)
    assert 0.2 <= end["total"] < 0.6  # three concurrent 0.2 s requests, generous bound
    stored = presenter_http.get(f"{live_app.url}/api/runs/{run_id}", timeout=10).json()
    assert stored["status"] == "done" and stored["panel"] == "p2"
    assert stored["errors"] == [] and len(stored["spans"]) == len(spans)
    unit = stored["unit"] / 1e6  # the live spans came compact: times in whole units
    for kept, shown in zip(stored["spans"], spans):
        assert set(kept) == set(shown)
        for name, value in kept.items():
            if name.startswith(("client_", "server_")) and value is not None:
                assert shown[name] == pytest.approx(value, abs=unit / 2 + 1e-6), name
            else:
                assert shown[name] == value, name
    assert stored["last_seq"] == end["seq"]
    assert stored["total"] == end["total"]
    summaries = presenter_http.get(f"{live_app.url}/api/runs", timeout=10).json()
    assert any(s["id"] == run_id and s["status"] == "done" for s in summaries)


def test_one_run_at_a_time(live_app, presenter_http, presenter_cookie):
    wait_idle(live_app)

    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter:
            first = presenter_http.post(f"{live_app.url}/api/runs", timeout=10, json={
                "demo": "sync", "n": 2, "delay": 2})
            assert first.status_code == 202
            run_id = first.json()["id"]
            await presenter.wait_type("run_start", run=run_id)
            second = presenter_http.post(f"{live_app.url}/api/runs", timeout=10,
                                         json={"demo": "threads"})
            assert second.status_code == 409 and "still going" in second.json()["error"]
            await presenter.send({"type": "run", "demo": "threads", "params": {}})
            assert "still going" in await presenter.reject()
            assert state(live_app)["active"] == run_id
            cancel = presenter_http.post(f"{live_app.url}/api/runs/active/cancel", timeout=10)
            assert cancel.status_code == 200 and cancel.json() == {"id": run_id}
            return await presenter.wait_type("run_end", run=run_id)

    end = asyncio.run(scenario())
    assert end["status"] == "cancelled"
    assert state(live_app)["active"] is None
