"""Root fixtures, in two tiers (flaskr style first, the real server where it is needed).

In-process (no server, no port; pages, API errors, auth):
    app               create_app({...}) on a fresh instance folder; its services closed after
    client            app.test_client()
    auth              auth.login() / auth.logout(): the presenter, the way a browser becomes one

The real app, `python app.py --port 0 ...` as a child (harness.app_process.AppProcess), for
WebSocket, runs, faults and browsers. Every app is stopped when its test (or module) ends:
    app_factory       start_app(*args, instance=None, token=...): apps stopped after the test
    module_app_factory  the same, stopped after the module (a module's shared app)
    live_app          one app per module that asks: .url .ws_url .token .presenter_url .output
    presenter_token   the token apps are started with
    presenter_cookie  {"presenter": value} of live_app, as a browser gets it
    http              a requests.Session (closed after the test)
    presenter_http    a requests.Session sending `Authorization: Bearer <token>` to live_app
    chromium          one headless Chromium for the whole session (a browser, not an app:
                      Playwright's sync API allows one instance at a time)
Slow servers for the engine and slide-file tests (module-wide, stopped after the module):
    slow_server       gunicorn -w 3 serving demos.slow_server:app on a free port
    async_server      the aiohttp slow server on a free port
    devices           Playwright's device descriptors by name, ready for a Chromium context
"""
from contextlib import ExitStack

import pytest
import requests

from harness.app_process import AppProcess
from live import close_app, create_app

PRESENTER_TOKEN = "test-presenter-token-4f2a"
AUDIENCE_URL = "http://127.0.0.1:5000/"


@pytest.fixture
def app(tmp_path):
    """The deck app in this process (flaskr's `app`): nothing listens, nothing is started."""
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "PRESENTER_TOKEN": PRESENTER_TOKEN, "AUDIENCE_URLS": [AUDIENCE_URL]})
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Become the presenter, or stop being one, as a browser does (flaskr's AuthActions)."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def login(self, token=None):
        return self.client.get(f"/presenter?token={token or self.token}")

    def logout(self):
        self.client.delete_cookie("presenter")


@pytest.fixture
def auth(client):
    return AuthActions(client, PRESENTER_TOKEN)


@pytest.fixture(scope="session")
def presenter_token():
    return PRESENTER_TOKEN


def app_starter(stack, tmp_path_factory):
    """start_app(*args, instance=None, token=...) -> a started AppProcess, stopped with `stack`."""
    def start_app(*args, instance=None, token=PRESENTER_TOKEN):
        instance = instance or tmp_path_factory.mktemp("instance")
        return stack.enter_context(AppProcess(args, instance, token).start())
    return start_app


@pytest.fixture
def app_factory(tmp_path_factory):
    """Apps of this test's own; each is stopped (and must stop cleanly) when the test ends."""
    with ExitStack() as stack:
        yield app_starter(stack, tmp_path_factory)


@pytest.fixture(scope="module")
def module_app_factory(tmp_path_factory):
    """Apps a module shares; stopped when the module ends."""
    with ExitStack() as stack:
        yield app_starter(stack, tmp_path_factory)


@pytest.fixture(scope="module")
def live_app(module_app_factory):
    """The app this module's tests share (its slide and runs persist from test to test)."""
    return module_app_factory()


@pytest.fixture(scope="module")
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
def playwright_driver():
    """Playwright's sync API, once for the session (it allows one instance at a time)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_driver):
    """One headless Chromium for every browser test; a context per viewer keeps them apart."""
    from harness.headless import launch
    browser = launch(playwright_driver)
    browser.devices = playwright_driver.devices  # descriptors such as "iPhone 13"
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def devices(playwright_driver):
    """Playwright's device descriptors ("iPhone 13", "Pixel 7", ...), for a Chromium context."""
    return {name: {key: value for key, value in device.items() if key != "default_browser_type"}
            for name, device in playwright_driver.devices.items()}


@pytest.fixture(scope="module")
def slow_server():
    """gunicorn with three sync workers serving demos.slow_server:app on a free port."""
    from runner.serve import start_gunicorn
    with start_gunicorn(workers=3) as server:
        yield server


@pytest.fixture(scope="module")
def async_server():
    """The aiohttp slow server on a free port."""
    from runner.serve import start_asyncio_server
    with start_asyncio_server() as server:
        yield server
