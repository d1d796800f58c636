"""Root fixtures: the real deck app (`python app.py --port 0 ...`) as a subprocess.

    live_app          session-wide app: .url .ws_url .token .presenter_url .instance .output
    presenter_token   the token it was started with
    presenter_cookie  {"presenter": value}, as a browser gets it from /presenter?token=...
    app_factory       start_app(*extra_args, instance=None, token=...) for apps of your own
                      (stopped at the end of the session; .stop() and .restart() on demand)
    http              a requests.Session (closed after the test)
    presenter_http    a requests.Session sending `Authorization: Bearer <token>`
    chromium          one headless Chromium for the whole session (Playwright's sync API allows
                      one instance at a time, so tests/browser and tests/deck share it)
"""
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
PRESENTER_TOKEN = "test-presenter-token-4f2a"
START_DEADLINE = 60.0
STOP_DEADLINE = 30.0


class AppProcess:
    """One running `python app.py`, its URL and its merged stdout/stderr."""

    def __init__(self, args, instance, token):
        self.args, self.instance, self.token = list(args), Path(instance), token
        self.process = None
        self.url = None
        self.output = []
        self.lines = queue.Queue()

    def start(self, deadline=START_DEADLINE):
        """Start it and wait for `Serving on http://HOST:PORT`."""
        command = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", "0",
                   "--instance", str(self.instance), "--presenter-token", self.token, *self.args]
        self.output, self.lines = [], queue.Queue()
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, encoding="utf-8", errors="replace")
        threading.Thread(target=self.drain, args=(self.process, self.lines), daemon=True).start()
        self.url = self.wait_for_line("Serving on ", deadline).split("Serving on ", 1)[1].strip()
        return self

    def drain(self, process, lines):
        """Keep reading the app's output so it never blocks on a full pipe."""
        with process.stdout:
            for line in process.stdout:
                self.output.append(line)
                lines.put(line)
        lines.put(None)

    def wait_for_line(self, needle, deadline):
        give_up = time.monotonic() + deadline
        while (left := give_up - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if needle in line:
                return line
        self.kill()
        raise RuntimeError(f"app did not print {needle!r}:\n{''.join(self.output)[-3000:]}")

    def stop(self, signum=signal.SIGTERM):
        """Stop it with `signum` and wait; returns its exit status."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signum)
        try:
            return process.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise RuntimeError(f"app did not stop on {signum!r}:\n{''.join(self.output)[-3000:]}")

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self):
        self.stop()
        return self.start()

    @property
    def ws_url(self):
        return "ws" + self.url[len("http"):] + "/ws"

    @property
    def presenter_url(self):
        return f"{self.url}/presenter?token={self.token}"

    @property
    def pid(self):
        return self.process.pid


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
        yield browser
        browser.close()
