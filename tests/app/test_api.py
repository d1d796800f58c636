"""The HTTP API against the real app: happy paths and every 4xx."""
import asyncio

import pytest

from runner.catalog import DEMOS
from viewers import connect, state, wait_idle


def test_demos_lists_the_catalog(live_app, http):
    demos = http.get(f"{live_app.url}/api/demos", timeout=10).json()
    assert [d["id"] for d in demos] == list(DEMOS)
    for demo in demos:
        assert {"id", "title", "summary", "kind", "defaults", "module"} <= set(demo)


def test_state_has_slide_seq_active(live_app, http):
    body = http.get(f"{live_app.url}/api/state", timeout=10).json()
    assert set(body) == {"slide", "seq", "active", "epoch"}
    assert isinstance(body["slide"], int) and isinstance(body["seq"], int)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-123"},
                                     {"Authorization": "Basic dGVzdA=="}])
def test_start_run_needs_the_presenter(live_app, http, headers):
    before = len(http.get(f"{live_app.url}/api/runs", timeout=10).json())
    response = http.post(f"{live_app.url}/api/runs", json={"demo": "sync"}, headers=headers,
                         timeout=10)
    assert response.status_code == 403
    assert "presenter" in response.json()["error"]
    assert len(http.get(f"{live_app.url}/api/runs", timeout=10).json()) == before


def test_cancel_needs_the_presenter(live_app, http):
    response = http.post(f"{live_app.url}/api/runs/active/cancel", timeout=10)
    assert response.status_code == 403


@pytest.mark.parametrize("body, status, words", [
    ({"demo": "no_such_demo"}, 404, "unknown demo"),
    ({"demo": "sync", "n": 0}, 400, "n must be between"),
    ({"demo": "sync", "n": "many"}, 400, "n must be an integer"),
    ({"demo": "sync", "n": True}, 400, "n must be a number"),
    ({"demo": "sync", "delay": 31}, 400, "delay must be between"),
    ({"demo": "sync", "workers": 33}, 400, "workers must be between"),
    ({"demo": "sync", "concurrency": 0}, 400, "concurrency must be between"),
    ({"demo": "sync", "n": 3, "fail": 4}, 400, "fail must be between"),
    ({"demo": "sync", "server": "nginx"}, 400, "server must be one of"),
    ({"demo": "sync", "colour": "red"}, 400, "unknown parameter"),
    ({"demo": "sync", "panel": "<b>"}, 400, "panel"),
    ({"demo": 7}, 404, "unknown demo"),
    ({}, 404, "unknown demo"),
])
def test_start_run_rejects_bad_input(live_app, presenter_http, body, status, words):
    response = presenter_http.post(f"{live_app.url}/api/runs", json=body, timeout=10)
    assert response.status_code == status
    assert words in response.json()["error"]


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", '"text"', ""])
def test_start_run_needs_a_json_object(live_app, presenter_http, data):
    response = presenter_http.post(f"{live_app.url}/api/runs", data=data, timeout=10,
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "the body must be a JSON object"


def test_oversized_body_is_refused(live_app, presenter_http):
    response = presenter_http.post(f"{live_app.url}/api/runs", timeout=10,
                                   json={"demo": "sync", "pad": "x" * 20_000})
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/api/runs/999999", "/api/runs/abc", "/api/nothing"])
def test_unknown_api_paths_are_json_404(live_app, http, path):
    response = http.get(live_app.url + path, timeout=10)
    assert response.status_code == 404
    assert "error" in response.json()


def test_cancel_without_a_run_is_409(live_app, presenter_http):
    wait_idle(live_app)
    response = presenter_http.post(f"{live_app.url}/api/runs/active/cancel", timeout=10)
    assert response.status_code == 409
    assert response.json()["error"] == "no run is going"


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
