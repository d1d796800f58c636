"""The HTTP API in-process (create_app + test_client): what it lists and every 4xx. Real runs are
in test_api_runs.py, against the real app."""
import pytest

from runner.catalog import DEMOS
from runner.params import PARAMS

BEARER = {"Authorization": "Bearer test-presenter-token-4f2a"}


def test_demos_lists_the_catalog(client):
    demos = client.get("/api/demos").json
    assert [d["id"] for d in demos] == list(DEMOS)
    for demo in demos:
        assert {"id", "title", "summary", "kind", "defaults", "module", "uses", "params"} \
            <= set(demo)
        assert [p["name"] for p in demo["params"]] == list(PARAMS)


def test_state_has_slide_seq_active(client):
    body = client.get("/api/state").json
    assert {k: body[k] for k in ("slide", "seq", "active")} == {"slide": 0, "seq": 0, "active": None}
    assert set(body) == {"slide", "seq", "active", "epoch", "replays", "now", "handout"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-123"},
                                     {"Authorization": "Basic dGVzdA=="}])
def test_start_run_needs_the_presenter(client, headers):
    response = client.post("/api/runs", json={"demo": "sync"}, headers=headers)
    assert response.status_code == 403
    assert "presenter" in response.json["error"]
    assert client.get("/api/runs").json == []


def test_cancel_needs_the_presenter(client):
    assert client.post("/api/runs/active/cancel").status_code == 403


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
    ({"demo": "sync", "timeout": 0}, 400, "timeout must be between"),
    ({"demo": "sync", "colour": "red"}, 400, "unknown parameter"),
    ({"demo": "sync", "panel": "<b>"}, 400, "panel"),
    ({"demo": 7}, 404, "unknown demo"),
    ({}, 404, "unknown demo"),
])
def test_start_run_rejects_bad_input(client, body, status, words):
    response = client.post("/api/runs", json=body, headers=BEARER)
    assert response.status_code == status
    assert words in response.json["error"]
    assert client.get("/api/runs").json == []


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", '"text"', "", "[" * 5000])
def test_start_run_needs_a_json_object(client, data):
    response = client.post("/api/runs", data=data, headers=BEARER,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "the body must be a JSON object"


def test_oversized_body_is_refused(client):
    response = client.post("/api/runs", json={"demo": "sync", "pad": "x" * 20_000},
                           headers=BEARER)
    assert response.status_code == 413
    assert "error" in response.json


@pytest.mark.parametrize("path", ["/api/runs/999999", "/api/runs/abc", "/api/nothing",
                                  "/api/runs/" + "9" * 30, "/api/runs/" + "9" * 4000])
def test_unknown_api_paths_are_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "error" in response.json


def test_cancel_without_a_run_is_409(client):
    response = client.post("/api/runs/active/cancel", headers=BEARER)
    assert response.status_code == 409
    assert response.json["error"] == "no run is going"
