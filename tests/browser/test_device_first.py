"""An audience page says which device it is before anything else on each socket, so the server
never refuses its follow ("follow: say which device first"), not even when the viewer changes
slides between a (re)connect and the server's hello."""
import json
import re

import pytest
from playwright.sync_api import expect

from browsing import PHONE, Viewer

pytestmark = pytest.mark.browser

# Test-side instrumentation only: while window.__hold is set, the page's socket listeners do not
# see incoming messages (they wait in order until window.__release()), so the page stays between
# "the socket is open" and "the hello arrived" for as long as the test likes.
HOLD = """
(() => {
  const add = WebSocket.prototype.addEventListener;
  const held = [];
  window.__hold = true;
  window.__release = () => {
    window.__hold = false;
    held.splice(0).forEach((deliver) => deliver());
  };
  WebSocket.prototype.addEventListener = function (type, listener, options) {
    if (type !== 'message') return add.call(this, type, listener, options);
    return add.call(this, type, (event) => {
      if (window.__hold) held.push(() => listener.call(this, event));
      else listener.call(this, event);
    }, options);
  };
})();
"""
OPEN = "WebSocket.OPEN"
MARKER = {"type": "test-marker"}  # its refusal is the server's answer to everything before it
MARKER_REASON = "unknown message type 'test-marker'"


class Frames:
    """What one of the page's sockets sent and received, parsed."""

    def __init__(self, socket):
        self.socket = socket
        self.sent, self.received = [], []
        socket.on("framesent", lambda payload: self.sent.append(json.loads(payload)))
        socket.on("framereceived", lambda payload: self.received.append(json.loads(payload)))

    def rejects(self):
        return [m["reason"] for m in self.received if m["type"] == "reject"]


def release_and_settle(viewer, frames):
    """Let the page read what the server sent, then wait until the server has answered every
    frame the page sent so far (the marker's refusal comes after their answers)."""
    viewer.page.evaluate("window.__release()")
    # On this socket: a toast of the same refusal may still show from the socket before.
    with frames.socket.expect_event("framereceived", lambda payload: MARKER_REASON in payload):
        viewer.page.evaluate(f"CL.socket.send({json.dumps(MARKER)})")
    assert MARKER_REASON in frames.rejects()


def assert_identified_first(frames):
    kinds = [m["type"] for m in frames.sent]
    assert kinds and kinds[0] == "device", kinds
    assert frames.rejects() == [MARKER_REASON], frames.received


def test_the_device_goes_first_on_connect_and_on_reconnect(chromium, browser_app, presenter):
    room = presenter.page.locator(".cl-room")
    viewer = Viewer(chromium, browser_app.url, "phone", PHONE)
    viewer.context.add_init_script(HOLD)
    sockets = []
    viewer.page.on("websocket", lambda socket: sockets.append(Frames(socket)))
    try:
        viewer.open("/")  # open and ready, the hello not read yet
        viewer.page.keyboard.press("ArrowRight")  # browsing alone: a follow goes out
        expect(viewer.page.locator("body")).to_have_attribute("data-follow", "alone")
        release_and_settle(viewer, sockets[-1])
        assert_identified_first(sockets[-1])
        expect(room).to_have_text(re.compile(r"^1 viewer · 0 following · 1 browsing alone$"))

        # The socket drops; the page is back on a new one before it reads that one's hello.
        viewer.page.evaluate(f"window.__hold = true; window.__sockets.find(s => s.readyState === {OPEN}).close()")
        viewer.page.wait_for_function(
            f"() => window.__sockets.length === 2 && window.__sockets[1].readyState === {OPEN}"
            " && document.body.dataset.conn === 'open'")
        viewer.page.keyboard.press("f")  # follow again: a follow goes out on the new socket
        expect(viewer.page.locator("body")).to_have_attribute("data-follow", "following")
        release_and_settle(viewer, sockets[-1])
        assert len(sockets) == 2
        assert_identified_first(sockets[-1])
        expect(room).to_have_text(re.compile(r"^1 viewer · 1 following · 0 browsing alone$"))
        follow_toasts = viewer.page.locator(".cl-toast", has_text="follow")
        expect(follow_toasts).to_have_count(0)
        assert viewer.problems == [] and viewer.foreign == []
    finally:
        viewer.close()
