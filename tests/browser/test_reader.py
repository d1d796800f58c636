"""Readable in the hand (issue 8): a phone held upright gets the reader view, measured as the
audience sees it: the *effective* size of text is its computed font size times the element's
on-screen scale. Phones are Playwright's device descriptors (iPhone 13, Pixel 7) in Chromium
(Playwright's own WebKit is not available here; tests/engines drives Debian's WebKitGTK)."""
import os

import pytest
from playwright.sync_api import expect

from browsing import HERE, PROJECTOR, ROOT, VISIBLE, Viewer

pytestmark = pytest.mark.browser

DECK = HERE / "decks" / "reader.md"
PHONES = ["iPhone 13", "Pixel 7"]
TEXT, CODE, DEMO, DENSE = 1, 2, 3, 4   # slides of decks/reader.md
README_PHONE = ROOT / "docs" / "phone-reader.png"
# Computed font size x on-screen scale (drawn width against layout width: remark's transform).
EFFECTIVE = """selector => Array.from(document.querySelectorAll(selector)).filter(el => el.offsetWidth > 0)
  .map(el => parseFloat(getComputedStyle(el).fontSize) * el.getBoundingClientRect().width / el.offsetWidth)"""
GOALS = {"body text": 14, "code": 12, "timeline labels": 11}
WIDE = "() => document.scrollingElement.scrollWidth - innerWidth"   # > 0: the page scrolls sideways


@pytest.fixture(scope="module")
def reader_app(module_app_factory):
    return module_app_factory("--deck", str(DECK))


@pytest.fixture(scope="module")
def opened():
    viewers = []
    yield viewers
    for viewer in viewers:
        viewer.close()


@pytest.fixture(scope="module")
def presenter(chromium, reader_app, opened):
    viewer = Viewer(chromium, reader_app.url, "presenter", PROJECTOR)
    opened.append(viewer)
    return viewer.open(f"/presenter?token={reader_app.token}")


@pytest.fixture(scope="module")
def finished(presenter):
    """A finished run on the 5-request slide (and the presenter left there)."""
    presenter.go(DEMO)
    presenter.panel().locator(".panel-run").click()
    expect(presenter.panel()).to_have_attribute("data-status", "done", timeout=60_000)
    presenter.go(DENSE)
    presenter.panel().locator(".panel-run").click()
    expect(presenter.panel()).to_have_attribute("data-status", "done", timeout=60_000)
    presenter.go(DEMO)
    return presenter


def open_phone(chromium, devices, reader_app, opened, name, **overrides):
    device = {**devices[name], **overrides}
    phone = Viewer(chromium, reader_app.url, name, device.pop("viewport"), **device)
    opened.append(phone)
    return phone.open("/")


def effective(viewer, selector):
    """The smallest effective size (CSS px) among the visible slide's `selector`."""
    sizes = viewer.page.evaluate(EFFECTIVE, f"{VISIBLE} {selector}")
    assert sizes, f"nothing visible matches {selector}"
    return min(sizes)


def show(presenter, phone, index):
    presenter.go(index)
    phone.wait_slide(index)


def drag_up(viewer, distance, x=200, y=500):
    """A finger on the page moving up by `distance` CSS px: real touch events through the
    DevTools protocol (Playwright's touchscreen only taps)."""
    cdp = viewer.context.new_cdp_session(viewer.page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 16):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * step / 15}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def marks_over(panel, selector):
    """The marks (ideal, total) whose label lies over one of the panel's `selector` (by more
    than a pixel's rounding)."""
    return panel.evaluate("""(panel, selector) => {
        const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
                                  Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
        const boxes = Array.from(panel.querySelectorAll(selector), el => el.getBoundingClientRect());
        return ['ideal', 'total'].filter(mark => {
            const label = panel.querySelector('.tl-' + mark + ' .tl-mark-label').getBoundingClientRect();
            return boxes.some(box => overlap(label, box));
        });
    }""", selector)


def shoot(viewer, name):
    viewer.page.evaluate("() => window.scrollTo(0, 0)")
    return viewer.screenshot(name)


def overlapping_ticks(panel):
    """Pairs of neighbouring axis labels shown on screen whose boxes touch (a gap under 4 px)."""
    boxes = panel.locator(".tl-tick").evaluate_all("""ticks => ticks
        .filter(tick => getComputedStyle(tick).visibility !== 'hidden')
        .map(tick => tick.getBoundingClientRect()).map(r => [r.left, r.right])""")
    return [(a, b) for a, b in zip(boxes, boxes[1:]) if b[0] - a[1] < 4]


def crowded_axis_overlaps(viewer):
    """The visible panel's axis drawn for 0.45 s at a step of 0.05 s (what a 0.4 s run gets:
    nine labels of four characters), then put back: how many shown labels touch the one
    before."""
    return viewer.page.evaluate(f"""() => {{
        const axis = document.querySelector('{VISIBLE} .tl-seconds');
        const saved = [Array.from(axis.childNodes), axis.style.width];
        axis.style.width = (100 * 0.1 / 0.45) + '%';
        axis.replaceChildren(CL.axisTicks(0.45, 0.05, 0.1));
        const boxes = Array.from(axis.children)
          .filter(tick => getComputedStyle(tick).visibility !== 'hidden')
          .map(tick => tick.getBoundingClientRect());
        axis.replaceChildren(...saved[0]);
        axis.style.width = saved[1];
        return boxes.filter((box, k) => k > 0 && box.left - boxes[k - 1].right < 4).length;
    }}""")


@pytest.mark.parametrize("name", PHONES)
def test_phone_upright_reads_every_slide_at_phone_size(chromium, devices, reader_app, opened,
                                                       finished, name):
    phone = open_phone(chromium, devices, reader_app, opened, name)
    body = phone.page.locator("body")
    expect(body).to_have_attribute("data-view", "reader")
    expect(phone.page.locator(".cl-view-btn")).to_be_visible()
    slug = name.lower().replace(" ", "-")

    show(finished, phone, TEXT)
    assert effective(phone, ".remark-slide-content p") >= GOALS["body text"]
    assert effective(phone, ".remark-slide-content li") >= GOALS["body text"]
    assert phone.page.evaluate(WIDE) <= 0

    show(finished, phone, CODE)
    assert effective(phone, ".remark-code-line") >= GOALS["code"]
    code = phone.page.locator(f"{VISIBLE} .remark-code").first
    assert code.evaluate("el => el.scrollWidth > el.clientWidth"), "a long line should scroll sideways"
    assert code.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert phone.page.evaluate(WIDE) <= 0, "only the code block scrolls sideways, not the page"
    shoot(phone, f"reader-{slug}-code.png")

    show(finished, phone, DEMO)
    panel = phone.panel()
    expect(panel).to_have_attribute("data-status", "done")
    expect(panel.locator("[data-request]")).to_have_count(5)
    assert effective(phone, ".tl-label") >= GOALS["timeline labels"]
    assert effective(phone, ".tl-tick") >= GOALS["timeline labels"]
    assert effective(phone, ".tl-mark-label") >= GOALS["timeline labels"]
    assert not overlapping_ticks(panel), "the axis labels must not run into each other"
    assert not crowded_axis_overlaps(phone), "nine ticks of 0.05 s: every other label is hidden"
    assert effective(phone, ".panel-total") >= 24 and effective(phone, ".panel-ideal") >= 24
    width = phone.page.evaluate("() => innerWidth")
    assert panel.bounding_box()["width"] >= 0.9 * width, "the panel takes the phone's width"
    bars = panel.locator(".tl-bar")
    labels = panel.locator(".tl-label")
    for k in range(5):   # each label sits above its own bar, none beside it
        label, bar = labels.nth(k).bounding_box(), bars.nth(k).bounding_box()
        assert label["y"] + label["height"] <= bar["y"] + 1
    assert not marks_over(panel, ".tl-label, .tl-bar"), "the marks' labels have bands of their own"
    assert phone.page.evaluate(WIDE) <= 0
    shoot(phone, f"reader-{slug}-run.png")
    if name == "iPhone 13" and os.environ.get("UPDATE_SCREENSHOT"):   # as tests/browser/test_runs.py
        phone.page.screenshot(path=str(README_PHONE))

    show(finished, phone, DENSE)   # 40 rows: no labels, the axis still readable
    expect(phone.panel().locator("[data-request]")).to_have_count(40)
    assert effective(phone, ".tl-tick") >= GOALS["timeline labels"]
    shoot(phone, f"reader-{slug}-dense.png")
    assert not marks_over(phone.panel(), ".tl-bar")
    finished.go(DEMO)
    finished.screenshot("presenter-reader-run.png")
    assert not phone.problems and not phone.foreign


def test_the_slide_view_on_a_phone_is_too_small_to_read(chromium, devices, reader_app, opened, finished):
    """Why the reader view: the same measure on the projector's slide shrunk onto a phone."""
    phone = open_phone(chromium, devices, reader_app, opened, "iPhone 13")
    phone.page.locator(".cl-view-btn").click()
    expect(phone.page.locator("body")).to_have_attribute("data-view", "slide")
    show(finished, phone, CODE)
    assert effective(phone, ".remark-code-line") < GOALS["code"]
    show(finished, phone, TEXT)
    assert effective(phone, ".remark-slide-content p") < GOALS["body text"]
    phone.page.locator(".cl-view-btn").click()
    expect(phone.page.locator("body")).to_have_attribute("data-view", "reader")
    assert effective(phone, ".remark-slide-content p") >= GOALS["body text"]


def test_the_switch_is_remembered_and_landscape_shows_the_slide(chromium, devices, reader_app, opened):
    phone = open_phone(chromium, devices, reader_app, opened, "Pixel 7")
    body, switch = phone.page.locator("body"), phone.page.locator(".cl-view-btn")
    expect(body).to_have_attribute("data-view", "reader")
    expect(switch).to_have_text("Slide view")
    switch.click()
    expect(body).to_have_attribute("data-view", "slide")
    expect(switch).to_have_text("Reader view")
    phone.page.reload()
    phone.wait_ready()
    expect(body).to_have_attribute("data-view", "slide")   # remembered
    switch.click()
    expect(body).to_have_attribute("data-view", "reader")
    viewport = devices["Pixel 7"]["viewport"]
    phone.page.set_viewport_size({"width": viewport["height"], "height": viewport["width"]})
    expect(body).to_have_attribute("data-view", "slide")   # turned sideways: the slide
    expect(switch).to_be_hidden()
    phone.page.set_viewport_size(viewport)
    expect(body).to_have_attribute("data-view", "reader")  # upright again: the choice stands
    assert phone.page.evaluate("() => localStorage.getItem('cl-view')") == "reader"


def test_a_phone_opened_in_landscape_shows_the_slide(chromium, devices, reader_app, opened):
    viewport = devices["iPhone 13"]["viewport"]
    phone = open_phone(chromium, devices, reader_app, opened, "iPhone 13",
                       viewport={"width": viewport["height"], "height": viewport["width"]})
    expect(phone.page.locator("body")).to_have_attribute("data-view", "slide")


def test_reader_follows_the_presenter_and_keeps_the_hooks(chromium, devices, reader_app, opened,
                                                          finished):
    phone = open_phone(chromium, devices, reader_app, opened, "iPhone 13")
    for index in [TEXT, DEMO, CODE, DENSE, 0, DEMO]:
        show(finished, phone, index)
        expect(phone.page.locator("body")).to_have_attribute("data-follow", "following")
    expect(phone.panel()).to_have_attribute("data-demo", "threads")
    expect(phone.panel().locator("[data-request]")).to_have_count(5)
    show(finished, phone, TEXT)
    assert phone.page.evaluate("() => document.scrollingElement.scrollHeight > innerHeight")
    # Browsing alone (remark would take touches then), a finger drags the page up: it scrolls,
    # where remark would cancel the touchmove, and the slide stays.
    phone.page.keyboard.press("ArrowLeft")
    phone.page.keyboard.press("ArrowRight")
    phone.wait_slide(TEXT)
    expect(phone.page.locator("body")).to_have_attribute("data-follow", "alone")
    drag_up(phone, 300)
    phone.page.wait_for_function("() => window.scrollY > 100")
    assert phone.slide() == TEXT
    phone.page.locator(".cl-follow-btn").click()
    expect(phone.page.locator("body")).to_have_attribute("data-follow", "following")
    show(finished, phone, DEMO)
    assert phone.page.evaluate("() => window.scrollY") == 0   # a new slide is read from the top
