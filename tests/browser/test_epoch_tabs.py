"""A database reset (the app restarted on a fresh instance folder) is noticed by open tabs: the
new epoch in hello makes them drop what they knew and follow again (red-team M3)."""
import socket

import pytest
import requests
from playwright.sync_api import expect

from browsing import DECK, PHONE, PROJECTOR, Viewer

pytestmark = pytest.mark.browser


def free_port():
    """A port free right now (the app binds it at once; it must stay the same across a restart,
    as it does for a real presenter)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_open_tabs_follow_again_after_a_database_reset(app_factory, chromium, tmp_path):
    app = app_factory("--deck", str(DECK), "--port", str(free_port()))
    presenter = Viewer(chromium, app.url, "presenter", PROJECTOR).open(
        f"/presenter?token={app.token}")
    audience = Viewer(chromium, app.url, "audience", PHONE).open("/")
    try:
        response = requests.post(f"{app.url}/api/runs", timeout=10,
                                 headers={"Authorization": f"Bearer {app.token}"},
                                 json={"demo": "threads", "n": 2, "delay": 0.05})
        assert response.status_code == 202
        audience.page.wait_for_function("() => CL.store.runs.size >= 1 && CL.store.active === null")
        for index in (1, 2, 3, 1, 2, 3):  # the old database's seq runs well ahead
            presenter.go(index)
            audience.wait_slide(index)
        old = audience.page.evaluate("() => [CL.store.epoch, CL.store.slideSeq]")

        app.instance = tmp_path / "fresh-instance"  # a new database: seq starts again at 0
        app.restart()
        audience.page.wait_for_function("e => CL.store.epoch && CL.store.epoch !== e", arg=old[0])
        expect(audience.page.locator("body")).to_have_attribute("data-conn", "open")
        presenter.wait_ready()
        presenter.page.wait_for_function("e => CL.store.epoch !== e", arg=old[0])
        assert audience.page.evaluate("() => CL.store.runs.size") == 0  # the old runs are gone

        presenter.go(1)  # seq 1 or so, far below what the tabs saw before
        audience.wait_slide(1)
        presenter.go(2)
        audience.wait_slide(2)
        assert audience.page.evaluate("() => CL.store.slideSeq") < old[1]
        expect(audience.page.locator("body")).to_have_attribute("data-follow", "following")
        # (the console reports the refused reconnects while the app was down: expected)
        crashes = [p for p in audience.problems + presenter.problems if "pageerror" in p]
        assert crashes == []
    finally:
        audience.close()
        presenter.close()
