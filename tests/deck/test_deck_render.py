"""Every deck renders in headless Chromium, in the presenter's view (a landscape screen: 16:9) and
in the audience's (a phone held upright: 4:3): no console error, no request to another host, no
directive error, and every slide fits its frame. A screenshot of every slide goes to
test-artifacts/decks/<deck>/ (NN.png presenter, phone-NN.png audience) for a human to look at.
"""
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from decks import DECKS, ROOT

SLACK = 1  # px
ARTIFACTS = ROOT / "test-artifacts" / "decks"
FRAME_CHECK = (Path(__file__).parent / "slide_frame.js").read_text(encoding="utf-8")
VIEWS = {
    "presenter": {"viewport": {"width": 1280, "height": 720}, "prefix": ""},
    "audience": {"viewport": {"width": 768, "height": 1024}, "prefix": "phone-"},
}
# remark shows slide i, and our panels on it have been filled in.
SHOWN = """(i) => CL.deck.slideshow().getCurrentSlideIndex() === i
  && Array.from(document.querySelectorAll('.remark-visible .demo-panel, .remark-visible .compare-panel'))
       .every((panel) => panel.childElementCount > 0)"""
# The first hello has been handled: the page went where the server's slide is, so it will not
# jump there later, in the middle of our visit.
GREETED = "() => document.body.dataset.conn === 'open' && CL.store.slide !== null"


class PageWatch:
    """Console errors, page errors and requests to other hosts, collected while a page lives."""

    def __init__(self, page, base_url):
        self.host = urlsplit(base_url).netloc
        self.problems = []
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("request", lambda request: self.check_host(request.url))
        page.on("websocket", lambda socket: self.check_host(socket.url))

    def on_console(self, message):
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def check_host(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob", "about") and parts.netloc != self.host:
            self.problems.append(f"request to another host: {url}")


def open_deck(chromium, deck_app, deck, view, presenter_token):
    """A page of `view` showing `deck`, ready (remark built it and our scripts started)."""
    context = chromium.new_context(viewport=VIEWS[view]["viewport"])
    page = context.new_page()
    watch = PageWatch(page, deck_app.url)
    start = (f"{deck_app.url}/presenter?token={presenter_token}&deck={deck}"
             if view == "presenter" else f"{deck_app.url}/?deck={deck}")
    page.goto(start)
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.wait_for_function(GREETED)
    page.evaluate("document.fonts.ready.then(() => true)")
    return context, page, watch


def visit(page, index):
    """Show slide `index` (0-based) and wait until remark shows it."""
    page.evaluate("(n) => CL.deck.slideshow().gotoSlide(n)", index + 1)
    page.wait_for_function(SHOWN, arg=index)


@pytest.mark.browser
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("deck", DECKS)
def test_deck_renders(chromium, deck_app, presenter_token, deck, view):
    context, page, watch = open_deck(chromium, deck_app, deck, view, presenter_token)
    folder = ARTIFACTS / deck
    folder.mkdir(parents=True, exist_ok=True)
    misfits = {}
    try:
        count = page.evaluate("CL.deck.slideshow().getSlideCount()")
        assert count > 0
        for index in range(count):
            visit(page, index)
            problems = page.evaluate(FRAME_CHECK, SLACK)
            errors = page.locator(".remark-visible .directive-error").all_inner_texts()
            problems += [f"directive error: {text}" for text in errors]
            if problems:
                misfits[index + 1] = problems
            page.locator(".remark-visible .remark-slide-scaler").screenshot(
                path=folder / f"{VIEWS[view]['prefix']}{index + 1:02d}.png")
    finally:
        context.close()
    assert not watch.problems
    assert not misfits, f"{deck} ({view}): problems by slide number: {misfits}"
