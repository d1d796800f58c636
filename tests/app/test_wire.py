"""The compact wire format (live/wire.py): derived from runner/events.EVENTS, decoded back to the
runner's events, light on the air for a 1,000-request run, and the same in GET /api/runs/<id>."""
import asyncio
import importlib
import json

import pytest
import requests

from live import default_deck, wire
from live.slides import panels_by_slide
from runner import events
from viewers import connect, wait_idle

BEARER = "Authorization"
SPAN = {"type": "span", "i": 3, "client_start": 0.0012, "client_end": 0.5034,
        "server_start": 0.0021, "server_end": 0.5021, "worker": "pid 7", "actor": "Task-4"}


def stamped(items, run=9, seq=100):
    return [{**item, "run": run, "seq": seq + k, "at": 1.5} for k, item in enumerate(items)]


def start_run(app, **body):
    response = requests.post(f"{app.url}/api/runs", json=body, timeout=10,
                             headers={BEARER: f"Bearer {app.token}"})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_layout_follows_the_event_schema():
    assert [kind for kind, *_ in wire.LAYOUT] == \
        [kind for kind in events.EVENTS if kind not in wire.LIFECYCLE]
    for kind, fields, kinds in wire.LAYOUT:
        assert fields == list(events.EVENTS[kind])
        assert kinds == [spec[0] for spec in events.EVENTS[kind].values()]


def test_a_new_event_type_travels_compact_with_no_new_code(monkeypatch):
    monkeypatch.setitem(events.EVENTS, "loop", {"lag": (events.NUM, True),
                                                "actor": (events.STR, False)})
    try:
        fresh = importlib.reload(wire)
        encoder = fresh.Encoder(1000)
        frame = encoder.frame(9, stamped([{"type": "loop", "lag": 0.25, "actor": "main"},
                                          {"type": "loop", "lag": 0.5, "actor": "main"}]))
        assert frame["ev"] == [[fresh.TYPE_INDEX["loop"], 250, "main"],
                               [fresh.TYPE_INDEX["loop"], 250, 0]]  # +0.25 s, "main" again
        decoded = fresh.Decoder().expand(json.loads(json.dumps(frame)))
        assert [(e["type"], e["lag"], e["actor"]) for e in decoded] == \
            [("loop", 0.25, "main"), ("loop", 0.5, "main")]
    finally:
        monkeypatch.undo()
        importlib.reload(wire)


def test_records_decode_to_the_runners_events_within_the_unit():
    encoder = wire.Encoder(wire.unit_for(0.5))
    items = [{**SPAN, "i": k, "actor": f"Task-{k % 3}"} for k in range(6)]
    items.append({"type": "error", "i": None, "message": "boom", "client_start": None,
                  "client_end": None, "actor": None})
    sent = stamped(items)
    frame = json.loads(json.dumps(encoder.frame(9, sent)))
    assert frame["ev"][-1] == [wire.TYPE_INDEX["error"], None, "boom"]  # trailing nulls dropped
    for original, back in zip(sent, wire.Decoder().expand(frame)):
        assert back["seq"] == original["seq"] and back["type"] == original["type"]
        for name, value in original.items():
            if isinstance(value, float) and name != "at":
                assert back[name] == pytest.approx(value, abs=encoder.unit / 2e6 + 1e-6)
            else:
                assert back[name] == value, name


def test_strings_travel_once_and_land_where_they_belong_after_a_gap():
    encoder = wire.Encoder(1000)
    first = encoder.frame(9, stamped([{**SPAN, "actor": "A"}, {**SPAN, "actor": "B"}]))
    second = encoder.frame(9, stamped([{**SPAN, "actor": "B"}, {**SPAN, "actor": "C"}], seq=102))
    assert json.dumps(first).count('"B"') == 1 and json.dumps(second).count('"B"') == 0
    assert second["names"] == {"actor": 2}
    late = wire.Decoder()  # it missed the first frame
    actors = [e["actor"] for e in late.expand(json.loads(json.dumps(second)))]
    assert actors == [None, "C"]  # "B" is unknown to it (it fetches the run), "C" is right
    assert late.runs[9]["tables"]["actor"][2] == "C"


def test_frames_join_into_one_detail_as_the_database_would_give_it():
    encoder = wire.Encoder(100)
    sent = stamped([{**SPAN, "i": k, "client_end": 0.5 + k / 100, "actor": f"T{k % 4}"}
                    for k in range(10)])
    chain, joined = {}, []
    for start in (0, 3, 7):
        frame = encoder.frame(9, sent[start:start + {0: 3, 3: 4, 7: 3}[start]])
        joined += wire.rechain(frame["ev"], chain)
    summary = {"id": 9, "unit": 100}
    assert joined == wire.detail(summary, sent, sent[-1]["seq"])["ev"]
    back = wire.Decoder().expand_detail({**summary, "names": dict.fromkeys(encoder.tables, 0),
                                         "ev": joined})
    assert [s["client_end"] for s in back["spans"]] == \
        pytest.approx([s["client_end"] for s in sent])


@pytest.mark.parametrize("expected, unit", [(None, 1000), (0, 1000), (0.5, 1000), (5, 1000),
                                            (0.2, 100), (0.02, 10), (0.0001, 1)])
def test_a_run_gets_a_unit_fine_enough_for_its_timeline(expected, unit):
    assert wire.unit_for(expected) == unit


def frames_of_run(app, **params):
    """(run id, every frame a follower got from run_start to run_end, decoded events)."""
    async def scenario():
        async with connect(app) as follower:
            run_id = start_run(app, **params)
            await follower.wait_type("run_start", run=run_id)
            first = len(follower.frames) - 1
            await follower.wait_type("run_end", run=run_id, timeout=60)
            return run_id, follower.frames[first:], follower.seen
    return asyncio.run(scenario())


def test_a_thousand_request_run_is_light_and_complete(live_app):
    wait_idle(live_app)
    run_id, frames, seen = frames_of_run(live_app, demo="asyncio_session", n=1000, delay=0.5,
                                         server="asyncio")
    wire_bytes = sum(len(frame.encode()) + (4 if len(frame) > 125 else 2) for frame in frames)
    assert wire_bytes <= 40_000, f"{wire_bytes} bytes for 1,000 requests ({len(frames)} frames)"
    spans = [m for m in seen if m["type"] == "span" and m["run"] == run_id]
    assert sorted(s["i"] for s in spans) == list(range(1000))
    stored = requests.get(f"{live_app.url}/api/runs/{run_id}", timeout=10).json()
    by_i = {s["i"]: s for s in stored["spans"]}
    for span in spans:
        kept = by_i[span["i"]]
        assert span["seq"] == kept["seq"] and span["actor"] == kept["actor"]
        assert span["worker"] == kept["worker"]
        half = stored["unit"] / 2e6 + 1e-6
        assert span["client_end"] == pytest.approx(kept["client_end"], abs=half)


def test_the_runs_api_offers_the_compact_form(live_app):
    wait_idle(live_app)
    run_id, _, seen = frames_of_run(live_app, demo="thread_pool", n=20, delay=0.05, fail=2)
    readable = requests.get(f"{live_app.url}/api/runs/{run_id}", timeout=10).json()
    compact = requests.get(f"{live_app.url}/api/runs/{run_id}?format=compact", timeout=10).json()
    assert compact["layout"] == wire.LAYOUT and compact["unit"] == readable["unit"]
    back = wire.Decoder().expand_detail(compact)
    assert back["last_seq"] == readable["last_seq"] and back["status"] == readable["status"]
    for kind in ("spans", "errors"):
        assert len(back[kind]) == len(readable[kind])
        for mine, theirs in zip(back[kind], readable[kind]):
            assert mine["i"] == theirs["i"] and mine.get("actor") == theirs.get("actor")
    assert len(back["errors"]) >= 2  # the failed requests (and the run-level error)
    assert len(json.dumps(compact)) < len(json.dumps(readable)) / 2


@pytest.mark.parametrize("form", ["json", "compact"])
def test_a_finished_run_is_served_compressed_with_an_etag(live_app, form):
    wait_idle(live_app)
    run_id = requests.get(f"{live_app.url}/api/runs", timeout=10).json()[-1]["id"]
    url = f"{live_app.url}/api/runs/{run_id}?format={form}"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers
    for coding in ("br", "gzip"):
        packed = requests.get(url, headers={"Accept-Encoding": coding}, timeout=10)
        assert packed.headers["Content-Encoding"] == coding
        assert packed.headers["Vary"] == "Accept-Encoding"
        assert packed.json() == plain.json()  # requests decodes both
        assert int(packed.headers["Content-Length"]) < len(plain.content)
    again = requests.get(url, headers={"If-None-Match": plain.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""


def test_an_unknown_format_is_refused(live_app):
    response = requests.get(f"{live_app.url}/api/runs/1?format=xml", timeout=10)
    assert response.status_code == 400 and "format" in response.json()["error"]


def test_a_late_joiner_gets_the_runs_of_its_slide_in_its_hello(live_app, presenter_cookie):
    wait_idle(live_app)
    slides = panels_by_slide(default_deck().read_text(encoding="utf-8"))  # the app's deck
    slide, (panel, demo) = next((k, found[0]) for k, found in enumerate(slides) if found)
    run_id, _, _ = frames_of_run(live_app, demo=demo, panel=panel, n=4, delay=0.05)
    requests.get(f"{live_app.url}/api/runs/{run_id}", timeout=10)  # cached by now

    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter:
            if presenter.hello["slide"] != slide:
                await presenter.send({"type": "goto", "slide": slide})
                await presenter.wait_type("slide", slide=slide)
        async with connect(live_app) as late:
            return late.hello
    hello = asyncio.run(scenario())
    assert hello["slide"] == slide and isinstance(hello["epoch"], str)
    details = {found["id"]: found for found in hello["details"]}
    assert run_id in details
    back = wire.Decoder().expand_detail(details[run_id])
    assert sorted(span["i"] for span in back["spans"]) == [0, 1, 2, 3]
