"""New panels in a real browser: on question 5 the Semaphore's 429s are drawn amber
(`.tl-throttled`), apart from the red of other failures; the paced slide draws none; a panel
whose interpreter this machine lacks says so before Run. Screenshots (presenter and phone) go
to test-artifacts/decks/throttled/."""
import pytest

from decks import ROOT, read_deck
from runner.pythons import find_free_threaded
from slidesource import shown_slides
from test_deck_render import open_deck, visit

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "decks" / "throttled"
PANEL = ".remark-visible .demo-panel"
FINAL = ("done", "failed", "timeout", "cancelled")


def slide_index(title):
    """The 0-based index of the talk's slide with this heading."""
    for index, slide in enumerate(shown_slides(read_deck("talk"))):
        if any(text.strip() == f"## {title}" for _, text in slide.content):
            return index
    raise LookupError(title)


def run_slide(page, index):
    visit(page, index)
    page.locator(f"{PANEL} .panel-run").click()
    page.wait_for_function(
        "(final) => final.includes(document.querySelector('.remark-visible .demo-panel')"
        ".dataset.status)", arg=list(FINAL), timeout=60_000)
    return page.locator(PANEL).get_attribute("data-status")


def shoot(chromium, deck_app, presenter_token, page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".remark-visible .remark-slide-scaler").screenshot(path=ARTIFACTS / f"{name}.png")
    context, phone, _ = open_deck(chromium, deck_app, "talk", "audience", presenter_token)
    try:  # the phone follows the presenter to this slide and draws the same run
        phone.wait_for_selector(f"{PANEL}[data-status=failed], {PANEL}[data-status=done]",
                                timeout=30_000)
        phone.locator(".remark-visible .remark-slide-scaler").screenshot(
            path=ARTIFACTS / f"phone-{name}.png")
    finally:
        context.close()


def test_429s_are_amber_and_the_paced_client_has_none(chromium, deck_app, presenter_token):
    context, page, watch = open_deck(chromium, deck_app, "talk", "presenter", presenter_token)
    try:
        assert run_slide(page, slide_index("Question 5: a rate-limited API")) == "failed"
        throttled = page.locator(f"{PANEL} .tl-bar.tl-throttled")
        assert throttled.count() >= 1
        colour = throttled.first.evaluate("(bar) => getComputedStyle(bar).backgroundImage")
        assert "191, 135, 0" in colour  # amber, not the failure red
        shoot(chromium, deck_app, presenter_token, page, "semaphore-429")

        assert run_slide(page, slide_index("Paced client: no 429")) == "done"
        assert page.locator(f"{PANEL} .tl-bar.tl-throttled").count() == 0
        assert page.locator(f"{PANEL} .tl-bar").count() == 10
        shoot(chromium, deck_app, presenter_token, page, "paced")
    finally:
        context.close()
    assert not watch.problems


def test_the_gil_slide_says_what_is_missing_before_run(chromium, deck_app, presenter_token):
    if find_free_threaded()[0]:
        pytest.skip("a free-threaded Python is here: the panel runs for real")
    context, page, watch = open_deck(chromium, deck_app, "talk", "audience", presenter_token)
    try:
        page.evaluate("(n) => CL.deck.slideshow().gotoSlide(n)",
                      slide_index("And without the GIL?") + 1)
        panel = page.locator(f"{PANEL}[data-demo=cpu_threads_ft][data-missing=true]")
        panel.wait_for(timeout=10_000)
        status = panel.locator(".panel-status").inner_text()
        assert status.startswith("no free-threaded Python on this machine")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(".remark-visible .remark-slide-scaler").screenshot(
            path=ARTIFACTS / "phone-no-free-threaded.png")
    finally:
        context.close()
    assert not watch.problems


@pytest.mark.parametrize("title, status, failed, served, says", [
    ("gather: one failure, the others run on", "failed", 1, 4, "the demo raised Client"),
    ("TaskGroup: one failure cancels the rest", "failed", 5, 0, "the demo raised ExceptionGroup"),
    ("Question 2, the asyncio answer", "failed", 3, 0, "the demo raised TimeoutError"),
    ("Blocking in async: the loop stops", "done", 0, 9, None),
    ("asyncio.to_thread: concurrency back", "done", 0, 9, None),
])
def test_the_structured_concurrency_panels_draw_what_their_slides_say(
        chromium, deck_app, presenter_token, title, status, failed, served, says):
    context, page, watch = open_deck(chromium, deck_app, "talk", "presenter", presenter_token)
    try:
        got = run_slide(page, slide_index(title))
        assert got == status, page.locator(f"{PANEL} .panel-errors").inner_text()
        assert page.locator(f"{PANEL} .tl-bar.tl-failed").count() == failed
        assert page.locator(f"{PANEL} .tl-bar:not(.tl-failed)").count() == served
        if says:  # what the notes tell the presenter to read out is on screen, on top
            first = page.locator(f"{PANEL} .panel-errors li").first
            assert first.is_visible() and says in first.inner_text()
        (ARTIFACTS.parent / "lessons").mkdir(parents=True, exist_ok=True)
        name = title.split(":")[0].replace(" ", "-").replace(",", "").lower()
        page.locator(".remark-visible .remark-slide-scaler").screenshot(
            path=ARTIFACTS.parent / "lessons" / f"{name}.png")
    finally:
        context.close()
    assert not watch.problems
