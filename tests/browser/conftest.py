"""Browser fixtures: real headless Chromium through Playwright against a real app of our own.

    browser_app    an app started by the root `app_factory` on the test deck decks/browser.md
                   (its slide and runs belong to these tests only)
    open_viewer    open_viewer(path, name, viewport) -> a Viewer in a fresh browser context,
                   closed after the module; `.opened` lists them all
    presenter      the presenter's page (cookie from /presenter?token=...), module-wide
    audience       an audience page on a phone-sized touch screen, module-wide
"""
import pytest

from browsing import DECK, PHONE, PROJECTOR, Viewer


@pytest.fixture(scope="session")
def browser_app(app_factory):
    return app_factory("--deck", str(DECK))


@pytest.fixture(scope="module")
def open_viewer(chromium, browser_app):
    opened = []

    def open_one(path="/", name="viewer", viewport=PROJECTOR):
        viewer = Viewer(chromium, browser_app.url, name, viewport)
        opened.append(viewer)
        return viewer.open(path)

    open_one.opened = opened
    yield open_one
    for viewer in opened:
        viewer.close()


@pytest.fixture(scope="module")
def presenter(open_viewer, browser_app):
    return open_viewer(f"/presenter?token={browser_app.token}", "presenter")


@pytest.fixture(scope="module")
def audience(open_viewer, presenter):
    """Opened after the presenter, so it has someone to follow."""
    return open_viewer("/", "audience", PHONE)
