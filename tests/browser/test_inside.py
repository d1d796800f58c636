"""Inside a run, in real browsers: the in-flight strip, the loop-lag strip and the CPU lanes
under the timeline, and the trace link, for the presenter and a phone in the audience; then
the talk's own CPU and asyncio slides, as screenshots (test-artifacts/inside-*.png)."""
import json

import pytest
from playwright.sync_api import expect

from browsing import HERE, PHONE, PROJECTOR, Viewer

pytestmark = pytest.mark.browser

DECK = HERE / "decks" / "inside.md"
RUN_WAIT_MS = 120_000  # a loaded machine runs the CPU demos slowly: a deadline, not a measure
DRAWN = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let k = 3; k < data.length; k += 4) if (data[k]) painted += 1;
  return painted;
}"""


@pytest.fixture(scope="module")
def viewers(chromium, app_factory):
    app = app_factory("--deck", str(DECK))
    presenter = Viewer(chromium, app.url, "presenter", PROJECTOR).open(
        f"/presenter?token={app.token}")
    audience = Viewer(chromium, app.url, "audience", PHONE).open("/")
    yield presenter, audience
    for viewer in (presenter, audience):
        assert not viewer.problems and not viewer.foreign, viewer.problems + viewer.foreign
        viewer.close()


def run_on_slide(presenter, audience, demo):
    """Go to the slide of `demo`, press Run, wait until every screen shows it finished."""
    index = presenter.slide_with(f".demo-panel[data-demo='{demo}']")
    presenter.go(index)
    audience.wait_slide(index)
    panel = presenter.panel()
    old = panel.get_attribute("data-run")
    panel.locator(".panel-run").click()
    expect(panel).not_to_have_attribute("data-run", old or "")
    expect(panel).to_have_attribute("data-status", "done", timeout=RUN_WAIT_MS)
    run_id = panel.get_attribute("data-run")
    expect(audience.panel()).to_have_attribute("data-run", run_id)
    expect(audience.panel()).to_have_attribute("data-status", "done")
    return run_id


def painted(row):
    return row.locator("canvas").evaluate(DRAWN)


def test_cpu_lanes_and_the_in_flight_strip_on_every_screen(viewers):
    presenter, audience = viewers
    run_id = run_on_slide(presenter, audience, "cpu_threads")
    run = presenter.api(f"/api/runs/{run_id}")
    workers = {span["actor"] for span in run["spans"]}
    assert run["cpu"] and workers <= {sample["actor"] for sample in run["cpu"]}
    for viewer in (presenter, audience):
        panel = viewer.panel()
        lanes = panel.locator(".tl-lane[data-actor]")
        expect(lanes.first).to_be_visible()
        shown = set(lanes.evaluate_all("rows => rows.map(row => row.dataset.actor)"))
        assert workers <= shown, shown
        for actor in workers:
            lane = panel.locator(f".tl-lane[data-actor='{actor}']")
            assert int(lane.get_attribute("data-samples")) >= 1
            assert painted(lane) > 0
        queue = panel.locator(".tl-strip-queue")
        expect(queue).to_be_visible()
        assert queue.get_attribute("data-peak") == "2" and painted(queue) > 0
        expect(panel.locator(".tl-strip-loop")).to_have_count(0)  # threads: no event loop
        link = panel.locator(".panel-trace")
        expect(link).to_be_visible()
        expect(link).to_have_attribute("href", f"/api/runs/{run_id}/trace.json")
        viewer.screenshot(f"inside-lanes-{viewer.name}.png")
    trace = presenter.context.request.get(f"/api/runs/{run_id}/trace.json")
    assert trace.ok and "attachment" in trace.headers["content-disposition"]
    events = json.loads(trace.body())["traceEvents"]
    assert len([e for e in events if e["ph"] == "X" and e["cat"] == "request"]) == 2


def test_the_loop_strip_on_every_screen(viewers):
    presenter, audience = viewers
    run_id = run_on_slide(presenter, audience, "asyncio_session")
    run = presenter.api(f"/api/runs/{run_id}")
    assert run["loop"], run
    for viewer in (presenter, audience):
        panel = viewer.panel()
        strip = panel.locator(".tl-strip-loop")
        expect(strip).to_be_visible()
        assert int(strip.get_attribute("data-samples")) == len(run["loop"])
        assert painted(strip) > 0
        expect(panel.locator(".tl-strip-queue")).to_be_visible()
        expect(panel.locator(".tl-lane[data-actor='MainThread']")).to_have_count(
            int(any(s["actor"] == "MainThread" for s in run["cpu"])))
        viewer.screenshot(f"inside-loop-{viewer.name}.png")


@pytest.fixture(scope="module")
def talk(chromium, app_factory):
    """The talk itself (the app's default deck) on a 16:9 projector and an upright iPhone 13."""
    app = app_factory()
    presenter = Viewer(chromium, app.url, "presenter", PROJECTOR).open(
        f"/presenter?token={app.token}")
    phone = Viewer(chromium, app.url, "phone", PHONE)
    phone.context.close()
    phone.context = chromium.new_context(base_url=app.url, **iphone(chromium))
    phone.context.on("page", phone.watch)
    phone.page = phone.context.new_page()
    phone.open("/")
    yield presenter, phone
    for viewer in (presenter, phone):
        assert not viewer.problems and not viewer.foreign, viewer.problems + viewer.foreign
        viewer.close()


def iphone(chromium):
    """Playwright's iPhone 13 descriptor, in Chromium (its default engine is WebKit)."""
    device = dict(chromium.devices["iPhone 13"])
    device.pop("default_browser_type", None)
    return device


@pytest.mark.parametrize("demo", ["cpu_threads", "cpu_processes", "asyncio_session"])
def test_the_talks_slides_show_what_runs_inside(talk, demo):
    presenter, phone = talk
    run = presenter.api(f"/api/runs/{run_on_slide(presenter, phone, demo)}")
    for viewer in (presenter, phone):
        panel = viewer.panel()
        expect(panel.locator(".tl-strip-queue")).to_be_visible()
        if demo.startswith("cpu_"):  # a lane for each of the k workers (and maybe the main thread)
            for actor in {span["actor"] for span in run["spans"]}:
                expect(panel.locator(f".tl-lane[data-actor='{actor}']")).to_have_count(1)
        else:
            expect(panel.locator(".tl-strip-loop")).to_be_visible()
        expect(panel.locator(".panel-trace")).to_be_visible()
        viewer.screenshot(f"inside-talk-{demo}-{viewer.name}.png")


def test_lanes_show_while_the_run_goes_on(viewers):
    """Live, not after the fact: two seconds of CPU work, and the lanes are drawn before it ends."""
    presenter, audience = viewers
    index = presenter.slide_with(".demo-panel[data-demo='cpu_threads']")
    presenter.go(index)
    audience.wait_slide(index)
    panel = presenter.panel()
    panel.locator("[data-param='delay'] input").fill("1")
    panel.locator(".panel-run").click()
    expect(panel).to_have_attribute("data-status", "running")
    for viewer in (presenter, audience):
        lanes = viewer.panel().locator(".tl-lane[data-actor]")
        expect(lanes.first).to_be_visible()
        assert viewer.panel().get_attribute("data-status") == "running"
    expect(panel).to_have_attribute("data-status", "done", timeout=RUN_WAIT_MS)
