"""The handout in headless Chromium from disk with every http/https request refused: each
recorded panel shows its run's bars, one replays at the recorded pace, and the PDF has one page
per slide with the panels in their final state."""
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from handoutkit import PRESSED, ROOT

pytestmark = pytest.mark.browser
SLIDES = ".remark-slides-area > .remark-slide-container"
VISIBLE = ".remark-slides-area > .remark-visible"
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}


def bars(run):
    """Rows the timeline draws: one per request with a span or an error."""
    return len({span["i"] for span in run["spans"]} |
               {error["i"] for error in run["errors"] if isinstance(error["i"], int)})


def go(page, index):
    for digit in str(index + 1):
        page.keyboard.press(digit)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"k => document.querySelectorAll('{SLIDES}')[k].classList.contains('remark-visible')",
        arg=index)


def panel_slides(page):
    """{panel id: slide index} of every demo panel."""
    return page.evaluate(f"""() => Object.fromEntries(Array.from(document.querySelectorAll('{SLIDES}'))
        .flatMap((slide, k) => Array.from(slide.querySelectorAll('.demo-panel'), p => [p.dataset.panel, k])))""")


def test_every_recorded_panel_shows_its_bars_offline(recorded, audience_export, open_handout):
    page = open_handout(audience_export)
    by_panel = {run["panel"]: run for run in recorded.runs}
    slides = panel_slides(page)
    assert set(by_panel) < set(slides)
    for panel, index in slides.items():
        go(page, index)
        node = page.locator(f"{VISIBLE} .demo-panel[data-panel='{panel}']")
        run = by_panel.get(panel)
        if run is None:
            expect(node.locator(".tl-empty")).to_have_text("Not run during the talk.")
            continue
        expect(node).to_have_attribute("data-status", run["status"])
        expect(node.locator(".tl-bar")).to_have_count(bars(run))
        expect(node.locator(".panel-recorded")).to_contain_text("recorded 20")
    go(page, page.evaluate(f"() => Array.from(document.querySelectorAll('{SLIDES}'))"
                           ".findIndex(s => s.querySelector('.compare-panel'))"))
    expect(page.locator(f"{VISIBLE} .cmp-row")).to_have_count(PRESSED)
    assert page.locator(f"{SLIDES} table.bench").count() == 1
    assert page.refused == [] and page.problems == []


def test_a_panel_replays_at_the_recorded_pace(recorded, audience_export, open_handout):
    page = open_handout(audience_export)
    run = next(run for run in recorded.runs if run["demo"] == "thread_pool")
    go(page, panel_slides(page)[run["panel"]])
    node = page.locator(f"{VISIBLE} .demo-panel[data-panel='{run['panel']}']")
    expect(node.locator(".tl-bar")).to_have_count(bars(run))
    page.select_option(".cl-speed", "2")
    started = page.evaluate("performance.now()")
    node.locator(".panel-replay").click()
    expect(node).to_have_attribute("data-recorded", "replay")
    expect(node.locator(".panel-recorded")).to_contain_text("· replay")
    expect(node).to_have_attribute("data-status", "done")
    took = (page.evaluate("performance.now()") - started) / 1000
    recorded_end = max(max(span["client_end"] for span in run["spans"]), run["total"])
    assert took >= 0.8 * recorded_end / 2  # at 2x: never faster than the speed says
    expect(node.locator(".tl-bar")).to_have_count(bars(run))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handout-16x9.png"))
    assert page.refused == [] and page.problems == []


def test_the_handout_on_a_phone_held_upright(recorded, audience_export, open_handout):
    page = open_handout(audience_export, PHONE)
    run = recorded.runs[0]
    go(page, panel_slides(page)[run["panel"]])
    node = page.locator(f"{VISIBLE} .demo-panel[data-panel='{run['panel']}']")
    expect(node.locator(".tl-bar")).to_have_count(bars(run))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handout-phone.png"))
    assert page.refused == [] and page.problems == []


def test_pdf_has_one_page_per_slide_with_final_panels(recorded, audience_export, open_handout):
    page = open_handout(audience_export)
    reader = PdfReader(audience_export / "handout.pdf")
    assert len(reader.pages) == page.locator(SLIDES).count()
    assert (audience_export / "handout.pdf").stat().st_size < 2_000_000  # vectors, not hatch images
    slides = panel_slides(page)
    for run in recorded.runs:
        text = reader.pages[slides[run["panel"]]].extract_text()
        assert "recorded 20" in text
        if run["status"] == "done":
            assert f"done: {len(run['spans'])} in" in text
