"""Root fixtures: the real deck app (`python app.py --port 0 ...`) as a subprocess.

    live_app          session-wide app: .url .ws_url .token .presenter_url .instance .output
    presenter_token   the token it was started with
    presenter_cookie  {"presenter": value}, as a browser gets it from /presenter?token=...
    app_factory       start_app(*extra_args, instance=None, token=...) for apps of your own
                      (stopped at the end of the session; .stop() and .restart() on demand)
    http              a requests.Session (closed after the test)
    presenter_http    a requests.Session sending `Authorization: Bearer <token>`
    chromium          one headless Chromium for the whole session (Playwright's sync API allows
                      one instance at a time, so tests/browser and tests/deck share it);
                      .devices are Playwright's device descriptors
"""
import pytest
import requests

from bench.app_process import AppProcess

PRESENTER_TOKEN = "test-presenter-token-4f2a"


@pytest.fixture(scope="session")
def presenter_token():
    return PRESENTER_TOKEN


@pytest.fixture(scope="session")
def app_factory(tmp_path_factory):
    """start_app(*args, instance=None, token=PRESENTER_TOKEN) -> a started AppProcess."""
    started = []

    def start_app(*args, instance=None, token=PRESENTER_TOKEN):
        instance = instance or tmp_path_factory.mktemp("instance")
        app = AppProcess(args, instance, token)
        started.append(app)
        return app.start()

    yield start_app
    errors = []
    for app in started:
        try:
            app.stop()
        except RuntimeError as exc:
            errors.append(str(exc))
    assert not errors, errors


@pytest.fixture(scope="session")
def live_app(app_factory):
    """The app every test may share (its slide and runs persist from test to test)."""
    return app_factory()


@pytest.fixture(scope="session")
def presenter_cookie(live_app):
    """The presenter cookie, obtained the way a browser does."""
    with requests.Session() as session:
        response = session.get(live_app.presenter_url, allow_redirects=False, timeout=10)
        assert response.status_code == 303, response.text
        return {"presenter": response.cookies["presenter"]}


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture
def presenter_http(live_app):
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {live_app.token}"
        yield session


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for every browser test; a context per viewer keeps them apart."""
    from playwright.sync_api import sync_playwright

    from headless import launch
    with sync_playwright() as playwright:
        browser = launch(playwright)
        browser.devices = playwright.devices  # descriptors such as "iPhone 13", for any engine
        yield browser
        browser.close()
