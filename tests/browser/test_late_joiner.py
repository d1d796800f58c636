"""A late joiner draws the run on its screen from the hello alone (issue 8: the current slide's
runs come with the hello; the others when the viewer reaches them)."""
import pytest
import requests
from playwright.sync_api import expect

from browsing import PHONE, Viewer

pytestmark = pytest.mark.browser

THREADS = ".demo-panel[data-demo='threads']"


def test_a_late_joiner_gets_its_slides_run_without_asking(chromium, browser_app, presenter):
    presenter.go(presenter.slide_with(THREADS))
    panel_id = presenter.panel().get_attribute("data-panel")
    response = requests.post(f"{browser_app.url}/api/runs", timeout=10,
                             headers={"Authorization": f"Bearer {browser_app.token}"},
                             json={"demo": "threads", "panel": panel_id, "n": 4, "delay": 0.05})
    assert response.status_code == 202
    run_id = response.json()["id"]
    expect(presenter.panel()).to_have_attribute("data-status", "done")
    requests.get(f"{browser_app.url}/api/runs/{run_id}", timeout=10)  # in the app's cache now

    late = Viewer(chromium, browser_app.url, "late joiner", PHONE)
    asked = []
    late.page.on("request", lambda request: "/api/runs/" in request.url and asked.append(
        request.url))
    try:
        late.open("/")
        late.wait_slide(presenter.slide())
        panel = late.panel()
        expect(panel).to_have_attribute("data-run", str(run_id))
        expect(panel.locator("[data-request]")).to_have_count(4)
        assert asked == [], asked  # it came with the hello
        assert late.problems == []
    finally:
        late.close()
