"""/ws against the real app: roles, broadcast, late joiners, origin, bad input, rate limits."""
import asyncio
import json

import aiohttp
import pytest

from viewers import connect, runs, state, wait_idle


def run(coro):
    return asyncio.run(coro)


def test_hello_carries_role_slide_and_runs(live_app, presenter_cookie):
    async def scenario():
        async with connect(live_app) as audience, \
                connect(live_app, cookies=presenter_cookie) as presenter:
            return audience.hello, presenter.hello

    audience, presenter = run(scenario())
    assert audience["role"] == "audience" and presenter["role"] == "presenter"
    for hello in (audience, presenter):
        assert {"slide", "seq", "active", "runs"} <= set(hello)
        assert isinstance(hello["runs"], list)


def test_bearer_header_at_the_handshake_makes_a_presenter(live_app):
    async def scenario():
        headers = {"Authorization": f"Bearer {live_app.token}"}
        async with connect(live_app, headers=headers) as viewer:
            return viewer.hello["role"]

    assert run(scenario()) == "presenter"


def test_compression_offer_is_declined_and_frames_still_arrive(live_app, presenter_cookie):
    """Browsers always offer permessage-deflate; the app declines it (one encoding for every
    socket, no per-follower compression cost) and the socket works as before."""
    async def scenario():
        async with aiohttp.ClientSession(cookies=presenter_cookie) as session:
            async with session.ws_connect(live_app.ws_url, origin=live_app.url, compress=15) as ws:
                hello = await ws.receive_json(timeout=10)
                await ws.send_json({"type": "sync"})
                again = await ws.receive_json(timeout=10)
                return ws.compress, hello["type"], again["type"]

    assert run(scenario()) == (0, "hello", "hello")


@pytest.mark.parametrize("message", [
    {"type": "goto", "slide": 4},
    {"type": "run", "demo": "sync", "params": {"n": 1, "delay": 0}},
    {"type": "cancel"},
])
def test_audience_cannot_drive(live_app, message):
    wait_idle(live_app)
    before, runs_before = state(live_app), len(runs(live_app))

    async def scenario():
        async with connect(live_app) as audience:
            await audience.send(message)
            reason = await audience.reject()
            await audience.sync()
            return reason

    reason = run(scenario())
    assert f"{message['type']}: only the presenter" in reason
    after = state(live_app)
    assert after["slide"] == before["slide"] and after["active"] is None
    assert len(runs(live_app)) == runs_before


def test_presenter_goto_reaches_everyone(live_app, presenter_cookie):
    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter, \
                connect(live_app, cookies=presenter_cookie) as second_tab, \
                connect(live_app) as follower:
            target = presenter.hello["slide"] + 1
            await presenter.send({"type": "goto", "slide": target})
            seen = [await v.wait_type("slide") for v in (follower, presenter, second_tab)]
            # the second tab drives too; the server's slide is broadcast to all
            await second_tab.send({"type": "goto", "slide": target + 1})
            again = [await v.wait_type("slide") for v in (follower, presenter, second_tab)]
            return target, seen, again

    target, seen, again = run(scenario())
    assert {m["slide"] for m in seen} == {target} and len({m["seq"] for m in seen}) == 1
    assert {m["slide"] for m in again} == {target + 1}
    assert again[0]["seq"] == seen[0]["seq"] + 1
    assert state(live_app)["slide"] == target + 1


def test_late_joiner_lands_on_the_slide_and_sees_the_runs(live_app, presenter_cookie):
    wait_idle(live_app)

    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter:
            await presenter.send({"type": "goto", "slide": 2})
            await presenter.send({"type": "run", "demo": "threads", "panel": "p2",
                                  "params": {"n": 2, "delay": 0.1}})
            start = await presenter.wait_type("run_start")
            end = await presenter.wait_type("run_end", run=start["run"])
        async with connect(live_app) as late:
            return start, end, late.hello

    start, end, hello = run(scenario())
    assert hello["slide"] == 2 and hello["active"] is None
    assert hello["seq"] >= end["seq"]
    runs = {r["id"]: r for r in hello["runs"]}
    assert runs[start["run"]]["status"] == "done" and runs[start["run"]]["panel"] == "p2"


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_cross_site_sockets_are_refused(live_app, origin):
    async def scenario():
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with connect(live_app, origin=origin):
                pass
        return refused.value.status

    assert run(scenario()) == 403


def test_no_origin_is_not_a_browser_and_is_allowed(live_app):
    async def scenario():
        async with connect(live_app, origin=None) as viewer:
            return viewer.hello["type"]

    assert run(scenario()) == "hello"


BAD = [
    ("x" * 5000, "message too big"),
    (json.dumps({"type": "sync", "pad": "é" * 2100}), "message too big"),
    ("{not json", "malformed JSON"),
    ("[1, 2, 3]", "must be a JSON object"),
    ('{"type": "goto", "slide": NaN}', "malformed JSON"),
    ('{"type": "dance"}', "unknown message type"),
    ('{"slide": 3}', "unknown message type"),
    ('{"type": 5}', "unknown message type"),
    ('{"type": "goto", "slide": "3"}', "slide must be an integer"),
    ('{"type": "goto", "slide": 1.5}', "slide must be an integer"),
    ('{"type": "goto", "slide": true}', "slide must be an integer"),
    ('{"type": "goto"}', "missing field 'slide'"),
    ('{"type": "goto", "slide": -1}', "slide must be between"),
    ('{"type": "goto", "slide": 1, "extra": 2}', "unexpected field"),
    ('{"type": "run", "demo": 5}', "demo must be a string"),
    ('{"type": "run", "demo": "sync", "params": [1]}', "params must be an object"),
    ('{"type": "run", "demo": "sync", "panel": "<p>"}', "panel must be a short name"),
    ('{"type": "run", "demo": "nope"}', "unknown demo"),
    ('{"type": "run", "demo": "sync", "params": {"n": 0}}', "n must be between"),
    ('{"type": "run", "demo": "sync", "params": {"delay": "slow"}}', "delay must be a number"),
    ('{"type": "cancel", "now": true}', "unexpected field"),
]


@pytest.mark.parametrize("text, words", BAD, ids=[w for _, w in BAD])
def test_bad_messages_get_a_reject_and_the_socket_keeps_working(live_app, presenter_cookie,
                                                                 text, words):
    wait_idle(live_app)
    before = state(live_app)

    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter:
            await presenter.send(text)
            reason = await presenter.reject()
            hello = await presenter.sync()
            return reason, hello

    reason, hello = run(scenario())
    assert words in reason and "\n" not in reason
    assert hello["type"] == "hello"
    after = state(live_app)
    assert (after["slide"], after["active"]) == (before["slide"], None)


def test_binary_frames_get_a_reject(live_app):
    async def scenario():
        async with connect(live_app) as viewer:
            await viewer.ws.send_bytes(b'{"type": "sync"}')
            reason = await viewer.reject()
            await viewer.sync()
            return reason

    assert "binary frames" in run(scenario())


def test_a_huge_frame_closes_the_socket_but_not_the_app(live_app, presenter_cookie):
    async def scenario():
        async with connect(live_app) as viewer:
            await viewer.send("x" * 200_000)
            msg = await viewer.ws.receive(timeout=10)
            kind, code = msg.type, viewer.ws.close_code
        async with connect(live_app, cookies=presenter_cookie) as presenter, \
                connect(live_app) as follower:  # the app goes on: sockets still work
            target = presenter.hello["slide"] + 1
            await presenter.send({"type": "goto", "slide": target})
            moved = await follower.wait_type("slide", slide=target)
        return kind, code, moved

    kind, code, moved = run(scenario())
    assert kind in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert code == 1009  # message too big
    assert state(live_app)["slide"] == moved["slide"]


def test_goto_floods_are_rate_limited(live_app, presenter_cookie):
    """60 gotos at once: some are refused, and the follower ends on the last slide the server
    accepted (what /api/state says), having seen no slide the server did not broadcast."""
    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter, \
                connect(live_app) as follower:
            base = presenter.hello["slide"]
            for i in range(60):
                await presenter.send({"type": "goto", "slide": base + 1 + i % 2})
            rejects = 0
            while rejects == 0:
                message = await presenter.next()
                rejects += message["type"] == "reject" and "too many" in message["reason"]
            await presenter.sync()  # answered after every goto above: the flood is over
            final = state(live_app)
            await follower.wait_type("slide", seq=final["seq"])
            slides = [m for m in follower.seen if m["type"] == "slide"]
            return base, final, slides

    base, final, slides = run(scenario())
    assert final["slide"] in (base + 1, base + 2)
    assert slides and slides[-1]["slide"] == final["slide"] and slides[-1]["seq"] == final["seq"]
    assert len(slides) < 60  # the limit held some back
    assert [m["seq"] for m in slides] == sorted({m["seq"] for m in slides})


def test_run_floods_are_rate_limited(live_app, presenter_cookie):
    wait_idle(live_app)

    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter:
            for _ in range(8):
                await presenter.send({"type": "run", "demo": "nope"})
            reasons = [await presenter.reject() for _ in range(8)]
            return reasons

    reasons = run(scenario())
    assert any("unknown demo" in r for r in reasons)
    assert any("run: too many messages" in r for r in reasons)


def test_presenter_reconnects_to_the_same_state(live_app, presenter_cookie):
    async def scenario():
        async with connect(live_app, cookies=presenter_cookie) as presenter, \
                connect(live_app) as follower:
            target = presenter.hello["slide"] + 5
            await presenter.send({"type": "goto", "slide": target})
            moved = await follower.wait_type("slide", slide=target)
        # the presenter's laptop slept: a new socket, the same cookie
        async with connect(live_app, cookies=presenter_cookie) as back:
            return moved, back.hello

    moved, hello = run(scenario())
    assert hello["role"] == "presenter" and hello["slide"] == moved["slide"]
    assert hello["seq"] >= moved["seq"]
