"""Crowd rounds and votes on the real app over real sockets: taps become real requests to a
real slow server, and nothing an audience socket sends goes past its limits."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

from crowdsockets import CAP, device, get


def without_clock(summaries):
    """Rounds and their request counts, and every prediction (a round before may still be
    draining: its clock and answers move on their own)."""
    return {"rounds": [(r["round"], r["count"]) for r in summaries["rounds"]],
            "predictions": summaries["predictions"]}


def run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (the session's Chromium, if a
    browser test started it) keeps an event loop in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def open_round(presenter, **params):
    """Open a round on the presenter's slide and wait until its server answers."""
    slide = presenter.hello["slide"]
    await presenter.send({"type": "crowd_open", "panel": "c1", "params": params, "slide": slide})
    return await presenter.round_status("open", timeout=30)


async def served(viewer, *wanted, timeout=15):
    """The rows of requests `wanted` once answered: [i, cs, ce, ss, se, worker number] each."""
    rows = {}

    def collect(message):
        if message["type"] == "crowd_rows":
            rows.update((row[0], row) for row in message["served"] if row[0] in wanted)
        return len(rows) == len(wanted)
    await viewer.wait_for(collect, timeout)
    return [rows[i] for i in wanted]


async def close_round(presenter):
    await presenter.send({"type": "crowd_close"})
    return await presenter.wait_for(
        lambda m: m["type"] == "crowd_round" and m["status"] in ("closed", "done"))


def test_taps_from_several_devices_are_their_own_rows(crowd_app, cookie):
    async def scenario():
        async with device(crowd_app, cookie) as presenter, device(crowd_app) as a, \
                device(crowd_app) as b, device(crowd_app) as c:
            opened = await open_round(presenter, workers=2, delay=0.3, server="gunicorn")
            mine = {}
            for viewer in (a, b, c):
                await viewer.send({"type": "crowd_tap"})
                mine[viewer.id] = await viewer.wait_type("crowd_mine")
            spans = await served(presenter, *(m["i"] for m in mine.values()))
            await close_round(presenter)
            async with device(crowd_app, device_id=a.id) as again:
                return opened, mine, spans, again.crowd_hello

    opened, mine, spans, hello = run(scenario())
    rid = opened["round"]
    assert {m["round"] for m in mine.values()} == {rid}
    assert len({m["i"] for m in mine.values()}) == 3
    for _i, cs, ce, ss, se, worker in spans:
        assert cs <= ss <= se <= ce and worker in (1, 2)
    ours = next(iter(mine.values()))
    assert hello["mine"][str(rid)] == [ours["i"]]
    detail = get(crowd_app, f"/api/crowd/rounds/{rid}")
    assert detail["count"] == 3 and detail["params"] == {"workers": 2, "delay": 0.3,
                                                          "server": "gunicorn"}
    assert all("device" not in request for request in detail["requests"])
    assert all(r["worker"].startswith("pid ") for r in detail["requests"])


def test_a_flood_from_one_socket_has_one_request_in_flight(crowd_app, cookie):
    async def scenario():
        async with device(crowd_app, cookie) as presenter, device(crowd_app) as tapper:
            opened = await open_round(presenter, workers=1, delay=1.5, server="gunicorn")
            for _ in range(40):
                await tapper.send({"type": "crowd_tap"})
            await presenter.wait_for(lambda m: m["type"] == "crowd_rows" and m["served"], 20)
            await tapper.send({"type": "device", "id": tapper.id})  # a marker after the flood
            await tapper.wait_type("crowd_hello")
            await close_round(presenter)
            return opened["round"], tapper.seen

    rid, seen = run(scenario())
    accepted = [m for m in seen if m["type"] == "crowd_mine"]
    reasons = {m["reason"] for m in seen if m["type"] == "reject"}
    # the answer comes after 1.5 s, the token bucket may allow one more tap then: never two at once
    assert 1 <= len(accepted) <= 2, accepted
    assert reasons == {"crowd_tap: your request is still waiting: one at a time",
                       "crowd_tap: too many messages, slow down"}
    detail = get(crowd_app, f"/api/crowd/rounds/{rid}")
    starts = sorted((r["t"], r.get("client_end") or 1e9) for r in detail["requests"])
    assert all(later[0] >= earlier[1] for earlier, later in zip(starts, starts[1:])), starts


def test_the_waiting_cap_refuses_taps_with_a_reason(crowd_app, cookie):
    async def scenario():
        async with device(crowd_app, cookie) as presenter:
            await open_round(presenter, workers=1, delay=3, server="gunicorn")
            async with device(crowd_app) as d1, device(crowd_app) as d2, \
                    device(crowd_app) as d3, device(crowd_app) as d4, device(crowd_app) as d5:
                for viewer in (d1, d2, d3, d4):
                    await viewer.send({"type": "crowd_tap"})
                    await viewer.wait_type("crowd_mine")
                await d5.send({"type": "crowd_tap"})
                reason = await d5.reject()
                waiting = await presenter.wait_for(
                    lambda m: m["type"] == "crowd_round" and m["waiting"] == CAP)
            await close_round(presenter)
            return reason, waiting

    reason, waiting = run(scenario())
    assert reason == (f"crowd_tap: {CAP} requests are already waiting at the server: "
                      "try again when some are answered")
    assert waiting["count"] == CAP


def test_taps_while_closed_and_audience_control_are_refused(crowd_app):
    async def scenario():
        before = get(crowd_app, "/api/crowd")
        reasons = []
        async with device(crowd_app) as viewer, device(crowd_app, say=False) as anonymous:
            for message in ({"type": "crowd_tap"},
                            {"type": "crowd_open", "panel": "c1", "params": {"workers": 1}},
                            {"type": "crowd_close"},
                            {"type": "predict_open", "panel": "v1", "options": ["a", "b"]},
                            {"type": "predict_close", "prediction": 1},
                            {"type": "crowd_tap", "workers": 9}):
                await viewer.send(message)
                reasons.append(await viewer.reject())
            await anonymous.send({"type": "crowd_tap"})
            reasons.append(await anonymous.reject())
        return before, reasons, get(crowd_app, "/api/crowd")

    before, reasons, after = run(scenario())
    assert reasons[0] == "crowd_tap: no round is open: wait for the presenter"
    assert all("only the presenter" in r for r in reasons[1:5]), reasons
    assert reasons[5] == "crowd_tap: unexpected field 'workers'"
    assert reasons[6].startswith("crowd_tap: this page has not said which device")
    assert without_clock(after) == without_clock(before)


def test_a_follow_before_the_device_is_kept_not_refused(crowd_app, cookie):
    """Following is the socket's state: said before the device, it counts, and the device still
    binds the socket once (a page of old scripts sends them in that order after a reconnect)."""
    async def scenario():
        async with device(crowd_app, cookie) as presenter, device(crowd_app, say=False) as early:
            await early.send({"type": "follow", "state": "alone"})
            await early.send({"type": "follow", "state": "sideways"})
            # answers come in order: a refusal of the first follow would come first
            assert await early.reject() == "follow: state must be following or alone"
            await early.send({"type": "device", "id": early.id})
            await early.wait_type("crowd_hello")
            await early.send({"type": "device", "id": early.id[::-1]})
            other = await early.reject()
            room = await presenter.wait_for(lambda m: m["type"] == "room" and m["alone"] == 1)
            await early.send({"type": "follow", "state": "following"})
            back = await presenter.wait_for(
                lambda m: m["type"] == "room" and m["alone"] == 0 and m["following"] == 1)
            return other, room, back, early.seen

    other, room, back, seen = run(scenario())
    assert other == "device: this socket already said which device it is"
    assert [m["reason"] for m in seen if m["type"] == "reject"] == [
        "follow: state must be following or alone", other]
    assert room["following"] == 0 and back["alone"] == 0


def test_votes_change_until_closed_and_forgeries_change_nothing(crowd_app, cookie):
    options = ["sync", "threads", "asyncio_session", "processes"]

    async def scenario():
        async with device(crowd_app, cookie) as presenter, device(crowd_app) as a, \
                device(crowd_app) as b:
            await presenter.send({"type": "predict_open", "panel": "v1", "options": options,
                                  "slide": presenter.hello["slide"]})
            opened = await presenter.wait_type("predict", status="open")
            pid = opened["prediction"]
            await a.send({"type": "vote", "prediction": pid, "option": "threads"})
            await b.send({"type": "vote", "prediction": pid, "option": "sync"})
            await a.send({"type": "vote", "prediction": pid, "option": "asyncio_session"})
            tally = await presenter.wait_for(
                lambda m: m["type"] == "predict" and m["votes"] == 2
                and m["counts"]["asyncio_session"] == 1)
            reasons = []
            for message in ({"type": "vote", "prediction": pid, "option": "rust"},
                            {"type": "vote", "prediction": pid + 99, "option": "sync"}):
                await b.send(message)
                reasons.append(await b.reject())
            await presenter.send({"type": "predict_close", "prediction": pid})
            closed = await presenter.wait_type("predict", status="closed")
            await b.send({"type": "vote", "prediction": pid, "option": "processes"})
            reasons.append(await b.reject())
            return pid, tally, closed, reasons

    pid, tally, closed, reasons = run(scenario())
    assert tally["counts"] == {"sync": 1, "threads": 0, "asyncio_session": 1, "processes": 0}
    assert closed["counts"] == tally["counts"]
    assert reasons == [f"vote: 'rust' is not an option of prediction {pid}",
                       f"vote: no prediction {pid + 99}", f"vote: prediction {pid} is closed"]
    stored = next(p for p in get(crowd_app, "/api/crowd")["predictions"] if p["prediction"] == pid)
    assert stored["counts"] == tally["counts"] and stored["status"] == "closed"


def test_leaving_the_slide_closes_the_round(crowd_app, cookie):
    async def scenario():
        async with device(crowd_app, cookie) as presenter, device(crowd_app) as viewer:
            opened = await open_round(presenter, workers=1, delay=0, server="asyncio")
            await presenter.send({"type": "goto", "slide": presenter.hello["slide"] + 1})
            closed = await presenter.wait_for(
                lambda m: m["type"] == "crowd_round" and m["status"] in ("closed", "done"))
            await viewer.send({"type": "crowd_tap"})
            reason = await viewer.reject()
            await presenter.send({"type": "goto", "slide": presenter.hello["slide"]})
            return opened, closed, reason

    opened, closed, reason = run(scenario())
    assert closed["round"] == opened["round"]
    assert closed["error"] == "closed: the presenter left the slide"
    assert reason == "crowd_tap: no round is open: wait for the presenter"


def test_a_restart_keeps_rounds_votes_and_what_is_mine(app_factory):
    from crowdsockets import presenter_cookie
    app = app_factory()
    cookie = presenter_cookie(app)

    async def before_restart():
        async with device(app, cookie) as presenter, device(app) as viewer:
            opened = await open_round(presenter, workers=1, delay=0, server="asyncio")
            await viewer.send({"type": "crowd_tap"})
            mine = await viewer.wait_type("crowd_mine")
            await served(presenter, mine["i"])
            await presenter.send({"type": "predict_open", "panel": "v1",
                                  "options": ["sync", "threads"], "slide": 0})
            pid = (await presenter.wait_type("predict", status="open"))["prediction"]
            await viewer.send({"type": "vote", "prediction": pid, "option": "threads"})
            await presenter.wait_for(lambda m: m["type"] == "predict" and m["votes"] == 1)
            return opened["round"], mine["i"], pid, viewer.id

    rid, i, pid, device_id = run(before_restart())
    summary = get(app, "/api/crowd")
    app.restart()

    async def after_restart():
        async with device(app, device_id=device_id) as viewer:
            return viewer.crowd_hello

    hello = run(after_restart())
    assert hello["mine"] == {str(rid): [i]} and hello["votes"] == {str(pid): "threads"}
    restored = get(app, "/api/crowd")
    assert [r["round"] for r in restored["rounds"]] == [r["round"] for r in summary["rounds"]]
    assert restored["rounds"][-1]["status"] == "done" and restored["rounds"][-1]["count"] == 1
    assert restored["predictions"][-1]["counts"] == {"sync": 0, "threads": 1}
    assert restored["predictions"][-1]["status"] == "closed"  # a restart ends an open vote
    detail = get(app, f"/api/crowd/rounds/{rid}")
    assert detail["requests"][0]["worker_no"] == 1
