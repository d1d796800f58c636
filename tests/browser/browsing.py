"""Driving one browser context on the app: a Viewer and what the tests share about pages."""
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DECK = HERE / "decks" / "browser.md"
ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "docs" / "screenshot.png"
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 15_000  # generous: a deadline, not a measurement
expect.set_options(timeout=WAIT_MS)

# Test-side instrumentation only: remember every WebSocket the page opens, so a test can drop one.
RECORD_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""

SLIDES = ".remark-slides-area > .remark-slide-container"
VISIBLE = ".remark-slides-area > .remark-visible"


class Viewer:
    """One browser context with one page on the app, and what it did that it should not."""

    def __init__(self, browser, base_url, name, viewport, **options):
        """`options` go to the browser context, e.g. a Playwright device descriptor's."""
        self.base_url, self.name = base_url, name
        self.host = urlsplit(base_url).netloc
        options = {"has_touch": viewport is PHONE, **options}
        self.context = browser.new_context(viewport=viewport, base_url=base_url, **options)
        self.context.set_default_timeout(WAIT_MS)
        self.context.add_init_script(RECORD_SOCKETS)
        self.problems = []      # console errors and uncaught exceptions
        self.foreign = []       # any request or socket to a host other than the app
        self.frames_sent = []   # text frames the page sent on its WebSockets
        self.sockets = []       # Playwright's view of them, newest last
        self.context.on("page", self.watch)
        self.page = self.context.new_page()

    def watch(self, page):
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(
            f"{self.name} console: {msg.text}"))
        page.on("pageerror", lambda exc: self.problems.append(f"{self.name} pageerror: {exc}"))
        page.on("request", lambda request: self.check_host(request.url))
        page.on("websocket", self.watch_socket)

    def watch_socket(self, socket):
        self.check_host(socket.url)
        self.sockets.append(socket)
        socket.on("framesent", lambda payload: self.frames_sent.append(payload))

    def check_host(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob", "about") and parts.netloc != self.host:
            self.foreign.append(url)

    def open(self, path="/"):
        self.page.goto(path)
        self.wait_ready()
        return self

    def wait_ready(self, page=None):
        (page or self.page).wait_for_selector(
            "body[data-ready='true'][data-conn='open']", state="attached", timeout=WAIT_MS)

    def slide(self):
        """remark's 0-based index of the slide on show."""
        return self.page.evaluate(
            f"Array.from(document.querySelectorAll('{SLIDES}'))"
            ".findIndex(node => node.classList.contains('remark-visible'))")

    def slide_count(self):
        return self.page.locator(SLIDES).count()

    def wait_slide(self, index):
        self.page.wait_for_function(
            f"k => document.querySelectorAll('{SLIDES}')[k].classList.contains('remark-visible')",
            arg=index, timeout=WAIT_MS)

    def slide_with(self, selector):
        """Index of the first slide holding `selector`."""
        index = self.page.evaluate(
            f"s => Array.from(document.querySelectorAll('{SLIDES}'))"
            ".findIndex(node => node.querySelector(s))", selector)
        assert index >= 0, f"no slide with {selector}"
        return index

    def go(self, index):
        """Go to a slide with remark's own keys: its number, then Enter (typed into no field)."""
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for digit in str(index + 1):
            self.page.keyboard.press(digit)
        self.page.keyboard.press("Enter")
        self.wait_slide(index)

    def follow(self):
        """Press F (re-follow) and wait until this audience page follows again."""
        self.page.keyboard.press("f")
        expect(self.page.locator("body")).to_have_attribute("data-follow", "following")

    def panel(self):
        return self.page.locator(f"{VISIBLE} .demo-panel[data-demo]")

    def api(self, path):
        """GET an API path with this viewer's cookies (not recorded as a page request)."""
        response = self.context.request.get(path)
        assert response.ok, f"{path}: {response.status}"
        return response.json()

    def screenshot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path

    def close(self):
        self.context.close()

