"""Runs in real browsers: the presenter presses Run, every screen draws the same timeline,
the audience cannot drive, a late joiner sees what it missed."""
import os
import re

import pytest
from playwright.sync_api import expect

from browsing import PHONE, README_SHOT, VISIBLE

pytestmark = pytest.mark.browser

N, DELAY = 5, 0.25  # five requests on three workers: two rounds, so some requests wait
THREADS = ".demo-panel[data-demo='threads']"
SEMAPHORE = ".demo-panel[data-demo='asyncio_semaphore']"

# Opens a socket of its own from the audience page and sends what only the presenter may send.
FORGE = """
async (messages) => {
  const url = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws';
  const socket = new WebSocket(url);
  const inbox = [];
  let wake = null;
  socket.addEventListener('message', (event) => { inbox.push(JSON.parse(event.data)); if (wake) wake(); });
  const next = async (type) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const index = inbox.findIndex((message) => message.type === type);
      if (index >= 0) return inbox.splice(index, 1)[0];
      if (Date.now() > deadline) throw new Error('no ' + type + ' in 5 s: ' + JSON.stringify(inbox));
      await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 100); });
    }
  };
  await next('hello');
  const reasons = [];
  for (const message of messages) {
    socket.send(JSON.stringify(message));
    reasons.push((await next('reject')).reason);
  }
  socket.send(JSON.stringify({type: 'sync'}));   // answered after the messages above: the state they left
  const after = await next('hello');
  socket.close();
  return {reasons, active: after.active, runs: after.runs.length, slide: after.slide};
}
"""


@pytest.fixture(scope="module")
def finished_run(presenter, audience):
    """The presenter double-clicks Run on the threads slide; returns the run as the API has it."""
    presenter.go(presenter.slide_with(THREADS))
    before = len(presenter.api("/api/runs"))
    panel = presenter.panel()
    panel.locator("[data-param='n'] input").fill(str(N))
    panel.locator("[data-param='delay'] input").fill(str(DELAY))
    panel.locator(".panel-run").dblclick()  # the second click must not start a second run
    expect(panel).not_to_have_attribute("data-run", "")
    expect(panel).to_have_attribute("data-status", "done")
    runs = presenter.api("/api/runs")
    assert len(runs) == before + 1, runs
    return presenter.api(f"/api/runs/{runs[-1]['id']}")


def shown_seconds(panel, selector):
    return float(re.search(r"([\d.]+) s", panel.locator(selector).inner_text()).group(1))


def test_run_fills_both_timelines(presenter, audience, finished_run):
    audience.wait_slide(presenter.slide())
    for viewer in (presenter, audience):
        panel = viewer.panel()
        expect(panel).to_have_attribute("data-run", str(finished_run["id"]))
        expect(panel).to_have_attribute("data-status", "done")
        expect(panel.locator("[data-request]")).to_have_count(N)
        expect(panel.locator(".panel-total")).to_be_visible()
        assert shown_seconds(panel, ".panel-total") == pytest.approx(finished_run["total"], abs=0.01)
        assert shown_seconds(panel, ".panel-ideal") == pytest.approx(finished_run["ideal"], abs=0.01)
    assert presenter.panel().locator(".panel-run").count() == 1
    assert audience.page.locator(".panel-run").count() == 0
    assert audience.panel().locator("input").count() == 0
    presenter.screenshot("presenter.png")
    audience.screenshot("audience.png")
    if os.environ.get("UPDATE_SCREENSHOT"):
        presenter.page.screenshot(path=str(README_SHOT))


def test_bars_show_waiting_served_and_workers(presenter, finished_run):
    panel = presenter.panel()
    for span in finished_run["spans"]:
        bar = panel.locator(f"[data-request='{span['i']}']")
        expect(bar.locator(".tl-serve")).to_have_count(1)
        expect(bar).to_have_attribute("title", re.compile(re.escape(span["worker"])))
    # Five requests on three workers: the later ones wait, so their served part starts later.
    waited = panel.locator(".tl-serve").evaluate_all(
        "nodes => nodes.map(node => parseFloat(node.style.getPropertyValue('--from')))")
    assert max(waited) > 0.3, waited
    workers = {span["worker"] for span in finished_run["spans"]}
    expect(panel.locator(".tl-swatch")).to_have_count(len(workers))
    labels = panel.locator(".tl-label").all_inner_texts()
    assert sorted(labels) == sorted(span["actor"] for span in finished_run["spans"])


def test_forged_messages_from_the_audience_are_refused(presenter, audience, finished_run):
    slide = presenter.slide()
    forged = [{"type": "run", "demo": "threads", "panel": "p1", "params": {"n": 3, "delay": 0.2}},
              {"type": "goto", "slide": 0},
              {"type": "cancel"}]
    result = audience.page.evaluate(FORGE, forged)
    assert all("only the presenter" in reason for reason in result["reasons"]), result
    assert result["active"] is None
    assert result["runs"] == len(presenter.api("/api/runs"))
    assert result["slide"] == slide
    # A refusal on the page's own socket shows as a toast, as text; it is the only one (the
    # page's own follow is never refused: test_device_first.py).
    audience.page.evaluate("CL.socket.send({type: 'run', demo: 'threads', params: {}})")
    expect(audience.page.locator(".cl-toast")).to_have_text(["run: only the presenter can do that"])
    # Outside text is shown as text: a reason quoting markup does not become markup.
    audience.page.evaluate("CL.socket.send({type: '<img src=x>'})")
    expect(audience.page.locator(".cl-toast", has_text="<img src=x>")).to_have_count(1)
    assert audience.page.locator(".cl-toasts img").count() == 0


def test_late_joiner_sees_the_finished_run(open_viewer, presenter, finished_run):
    late = open_viewer("/", "late joiner", PHONE)
    late.wait_slide(presenter.slide())
    panel = late.panel()
    expect(panel).to_have_attribute("data-run", str(finished_run["id"]))
    expect(panel.locator("[data-request]")).to_have_count(N)
    expect(panel.locator(".panel-total")).to_contain_text("total")
    late.screenshot("late-joiner.png")


def start_run(presenter, panel, **params):
    """Press Run on `panel` with `params` typed in; returns once the new run is on show."""
    old = panel.get_attribute("data-run")
    for name, value in params.items():
        panel.locator(f"[data-param='{name}'] input").fill(str(value))
    panel.locator(".panel-run").click()
    expect(panel).not_to_have_attribute("data-run", old)
    return int(panel.get_attribute("data-run"))


def test_failed_requests_are_marked_and_listed(presenter, audience):
    index = presenter.slide_with(SEMAPHORE)
    presenter.go(index)
    audience.wait_slide(index)
    run_id = start_run(presenter, presenter.panel())
    expect(presenter.panel()).to_have_attribute("data-status", "failed")
    run = presenter.api(f"/api/runs/{run_id}")
    failed = sorted({error["i"] for error in run["errors"] if error["i"] is not None})
    assert len(failed) == 2, run["errors"]
    for viewer in (presenter, audience):
        panel = viewer.panel()
        expect(panel.locator("[data-request]")).to_have_count(6)
        expect(panel.locator(".tl-failed")).to_have_count(2)
        for i in failed:
            expect(panel.locator(f"[data-request='{i}']")).to_have_class(re.compile("tl-failed"))
        expect(panel.locator(".panel-errors li").first).to_contain_text("500")
        expect(panel.locator(".panel-status")).to_have_text("failed")
    presenter.page.keyboard.press("ArrowRight")  # the increment: a second copy of the panel
    audience.wait_slide(index + 1)
    expect(audience.panel()).to_have_attribute("data-run", str(run_id))
    expect(audience.panel().locator(".tl-failed")).to_have_count(2)


def test_a_follower_dropped_mid_run_catches_up(presenter, audience, finished_run):
    presenter.go(presenter.slide_with(THREADS))
    audience.wait_slide(presenter.slide())
    run_id = start_run(presenter, presenter.panel(), n=N, delay=DELAY)
    audience.page.evaluate("window.__sockets.find(socket => socket.readyState === WebSocket.OPEN).close()")
    panel = audience.panel()
    expect(panel).to_have_attribute("data-run", str(run_id))
    expect(panel).to_have_attribute("data-status", "done")
    expect(panel.locator("[data-request]")).to_have_count(N)
    expect(audience.page.locator("body")).to_have_attribute("data-conn", "open")


def test_cancel_stops_a_run_on_every_screen(presenter, audience):
    index = presenter.slide_with(SEMAPHORE)
    presenter.go(index)
    audience.wait_slide(index)
    panel = presenter.panel()
    start_run(presenter, panel, n=6, delay=1)
    expect(panel.locator(".panel-run")).to_be_hidden()
    panel.locator(".panel-cancel").click()
    expect(panel).to_have_attribute("data-status", "cancelled")
    expect(audience.panel()).to_have_attribute("data-status", "cancelled")
    expect(panel.locator(".panel-run")).to_be_enabled()


def test_compare_panel_charts_every_run(presenter, audience, finished_run):
    index = presenter.slide_with(".compare-panel")
    presenter.go(index)
    audience.wait_slide(index)
    runs = presenter.api("/api/runs")
    for viewer in (presenter, audience):
        rows = viewer.page.locator(f"{VISIBLE} .compare-panel .cmp-row")
        expect(rows).to_have_count(len(runs))
        row = rows.and_(viewer.page.locator(f"[data-run='{finished_run['id']}']"))
        expect(row).to_contain_text("threads")
        expect(row.locator(".cmp-value")).to_have_text(f"{finished_run['total']:.2f} s")


def test_filtered_compare_shows_the_latest_matching_run_of_each_demo(presenter, finished_run):
    index = presenter.slide_with(".compare-panel[data-where]")
    presenter.go(index)
    latest = {}
    for run in sorted(presenter.api("/api/runs"), key=lambda run: run["id"]):
        if run["params"]["n"] == 5 and run["params"]["delay"] == 0.25:
            latest[run["demo"]] = run["id"]
    assert latest, "the finished run and others match n=5, d=0.25"
    rows = presenter.page.locator(f"{VISIBLE} .compare-panel[data-where] .cmp-row")
    expect(rows).to_have_count(len(latest))
    shown = [int(run) for run in rows.evaluate_all("rows => rows.map(row => row.dataset.run)")]
    assert shown == sorted(latest.values())

