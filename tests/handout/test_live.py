"""The handout from the live app, and replay as a fallback.

An app started with `--replay-from` a rehearsal's database (the `recorded` one): the presenter
replays a recorded run on a panel, and the presenter's and the audience's screens both label it
"recorded <date> · replay, not live"; a live run of the panel takes it back. The audience's
download link appears only once the presenter allows it, and the route refuses before."""
import pytest
import requests
from playwright.sync_api import expect

from handoutkit import DECK
from test_handout_browser import ARTIFACTS, PHONE, VISIBLE, bars, go, panel_slides
from test_export import SECRETS

pytestmark = pytest.mark.browser
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def fallback_app(module_app_factory, recorded):
    return module_app_factory("--deck", str(DECK), "--replay-from", str(recorded.database))


@pytest.fixture(scope="module")
def presenter_http(fallback_app):
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {fallback_app.token}"
        yield session


@pytest.fixture(scope="module")
def screens(chromium, fallback_app):
    """The presenter's page (projector) and an audience phone, both open on the app."""
    opened = {}
    for name, path, viewport in [("presenter", f"/presenter?token={fallback_app.token}",
                                  {"width": 1280, "height": 720}), ("audience", "/", PHONE)]:
        context = chromium.new_context(viewport=viewport, base_url=fallback_app.url,
                                       has_touch=viewport is PHONE)
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc, page=page: page.problems.append(str(exc)))
        page.goto(path)
        page.wait_for_selector("body[data-ready='true'][data-conn='open']", state="attached")
        opened[name] = page
    yield opened
    for page in opened.values():
        page.context.close()


def test_replay_requests_are_checked(fallback_app, presenter_http, http):
    url = f"{fallback_app.url}/api/replays"
    assert http.post(url, json={"demo": "threads", "panel": "p1"}, timeout=10).status_code == 403
    for body in ([], {"demo": "threads"}, {"demo": "threads", "panel": "../x"}):
        answer = presenter_http.post(url, json=body, timeout=10)
        assert answer.status_code == 400 and answer.json()["error"]
    answer = presenter_http.post(url, json={"demo": "nope", "panel": "p4"}, timeout=10)
    assert answer.status_code == 404 and "no demo" in answer.json()["error"]
    answer = presenter_http.post(url, json={"demo": "sync", "panel": "p4"}, timeout=10)
    assert answer.status_code == 404 and "no recorded run of sync" in answer.json()["error"]


def test_a_replay_is_labelled_recorded_on_every_screen(fallback_app, recorded, screens,
                                                       presenter_http):
    presenter, audience = screens["presenter"], screens["audience"]
    run = next(run for run in recorded.runs if run["panel"] == "p1")
    index = panel_slides(presenter)["p1"]
    go(presenter, index)
    audience.wait_for_function(
        f"k => document.querySelectorAll('.remark-slides-area > .remark-slide-container')[k]"
        ".classList.contains('remark-visible')", arg=index)
    presenter.locator(f"{VISIBLE} .demo-panel[data-panel='p1'] .panel-replay").click()
    for page in (presenter, audience):
        node = page.locator(f"{VISIBLE} .demo-panel[data-panel='p1']")
        expect(node).to_have_attribute("data-recorded", "replay")
        expect(node.locator(".panel-recorded")).to_contain_text("recorded 20")
        expect(node.locator(".panel-recorded")).to_contain_text("replay, not live")
        expect(node).to_have_attribute("data-status", run["status"])
        expect(node.locator(".tl-bar")).to_have_count(bars(run))
        expect(page.locator(".cl-replay-note")).to_contain_text("replay, not live")
    ARTIFACTS.mkdir(exist_ok=True)
    presenter.screenshot(path=str(ARTIFACTS / "replay-presenter.png"))
    audience.screenshot(path=str(ARTIFACTS / "replay-audience.png"))
    state = requests.get(f"{fallback_app.url}/api/state", timeout=10).json()
    assert state["replays"]["p1"]["source"] == "rehearsal"
    assert state["replays"]["p1"]["run"] == run["id"]
    recorded_run = requests.get(f"{fallback_app.url}/api/recorded/rehearsal/{run['id']}",
                                timeout=10).json()
    assert recorded_run == run


def test_a_late_viewer_sees_the_replay_and_a_live_run_takes_the_panel_back(
        fallback_app, chromium, screens, presenter_http):
    late = chromium.new_context(viewport=PHONE, base_url=fallback_app.url)
    page = late.new_page()
    page.goto("/")
    page.wait_for_selector("body[data-ready='true'][data-conn='open']", state="attached")
    node = page.locator(f"{VISIBLE} .demo-panel[data-panel='p1']")
    expect(node).to_have_attribute("data-recorded", "replay", timeout=WAIT_MS)
    answer = presenter_http.post(f"{fallback_app.url}/api/runs",
                                 json={"demo": "threads", "panel": "p1", "n": 2, "delay": 0.1},
                                 timeout=10)
    assert answer.status_code == 202, answer.text
    for viewer in (page, screens["audience"]):
        panel = viewer.locator(f"{VISIBLE} .demo-panel[data-panel='p1']")
        expect(panel).to_have_attribute("data-run", str(answer.json()["id"]), timeout=WAIT_MS)
        expect(panel).to_have_attribute("data-recorded", "")
        expect(panel.locator(".panel-recorded")).to_be_hidden()
    late.close()


def test_download_only_once_the_presenter_allows_it(fallback_app, screens, http):
    presenter, audience = screens["presenter"], screens["audience"]
    url = f"{fallback_app.url}/handout/download"
    refused = http.get(url, timeout=10)
    assert refused.status_code == 403 and "not allowed" in refused.text
    expect(audience.locator(".cl-download")).to_be_hidden()
    presenter.locator(".cl-allow").check()
    expect(audience.locator(".cl-download")).to_be_visible(timeout=WAIT_MS)
    audience.screenshot(path=str(ARTIFACTS / "download-audience.png"))
    answer = http.get(url, timeout=30)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    assert 'id="cl-offline"' in answer.text and not any(s in answer.text for s in SECRETS)
    with audience.expect_download() as downloading:
        audience.locator(".cl-download").click()
    assert downloading.value.suggested_filename == "handout-handout.html"
    presenter.locator(".cl-allow").uncheck()
    expect(audience.locator(".cl-download")).to_be_hidden(timeout=WAIT_MS)
    assert http.get(url, timeout=10).status_code == 403


def test_the_export_button_writes_and_offers_the_files(fallback_app, screens, http):
    presenter = screens["presenter"]
    presenter.locator(".cl-export").click()
    files = presenter.locator(".cl-export-file")
    expect(files.filter(has_text="index.html")).to_have_count(1, timeout=120_000)
    expect(files.filter(has_text="handout.pdf")).to_have_count(1)
    assert (fallback_app.instance / "handout" / "index.html").is_file()
    response = presenter.context.request.get("/handout/files/index.html")
    assert response.ok and b'id="cl-offline"' in response.body()
    assert http.get(f"{fallback_app.url}/handout/files/index.html", timeout=10).status_code == 403
    assert presenter.problems == [] and screens["audience"].problems == []

