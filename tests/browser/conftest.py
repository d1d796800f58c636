"""Browser fixtures: real headless Chromium through Playwright against a real app of our own.

    browser_app    an app of this module's own (root `module_app_factory`) on the test deck
                   decks/browser.md (its slide and runs belong to these tests only)
    open_viewer    open_viewer(path, name, viewport) -> a Viewer in a fresh browser context,
                   closed after the module; at that teardown no viewer may have logged a
                   console error or asked another host (a failure of the module's last test)
    presenter      the presenter's page (cookie from /presenter?token=...), module-wide
    audience       an audience page on a phone-sized touch screen, module-wide
"""
import pytest

from browsing import DECK, PHONE, PROJECTOR, Viewer


@pytest.fixture(scope="module")
def browser_app(module_app_factory):
    return module_app_factory("--deck", str(DECK))


@pytest.fixture(scope="module")
def open_viewer(chromium, browser_app):
    opened = []

    def open_one(path="/", name="viewer", viewport=PROJECTOR):
        viewer = Viewer(chromium, browser_app.url, name, viewport)
        opened.append(viewer)
        return viewer.open(path)

    yield open_one
    for viewer in opened:
        viewer.close()
    problems = [(v.name, v.problems, v.foreign) for v in opened if v.problems or v.foreign]
    assert not problems, f"console errors or requests to other hosts: {problems}"


@pytest.fixture(scope="module")
def presenter(open_viewer, browser_app):
    return open_viewer(f"/presenter?token={browser_app.token}", "presenter")


@pytest.fixture(scope="module")
def audience(open_viewer, presenter):
    """Opened after the presenter, so it has someone to follow."""
    return open_viewer("/", "audience", PHONE)
