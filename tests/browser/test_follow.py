"""Following in real browsers: the audience follows the presenter, browses alone, follows again;
remark's own features and the socket's recovery keep working."""
import re

import pytest
from playwright.sync_api import expect

from browsing import PHONE

pytestmark = pytest.mark.browser

THREADS = ".demo-panel[data-demo='threads']"


def test_audience_follows_every_slide_change(presenter, audience):
    count = presenter.slide_count()
    for index in [*range(count), 2, 0, count - 1, 1]:
        presenter.go(index)
        audience.wait_slide(index)
    presenter.page.keyboard.press("ArrowRight")
    audience.wait_slide(2)
    presenter.page.keyboard.press("ArrowLeft")
    audience.wait_slide(1)
    expect(audience.page.locator("body")).to_have_attribute("data-follow", "following")


def test_a_second_presenter_tab_goes_along_and_can_drive(open_viewer, browser_app, presenter, audience):
    second = open_viewer(f"/presenter?token={browser_app.token}", "second presenter")
    second.wait_slide(presenter.slide())
    presenter.go(2)
    second.wait_slide(2)
    audience.wait_slide(2)
    second.go(0)
    presenter.wait_slide(0)
    audience.wait_slide(0)
    second.close()


def test_audience_browses_alone_and_follows_again(presenter, audience):
    body = audience.page.locator("body")
    presenter.go(1)
    audience.wait_slide(1)
    audience.page.keyboard.press("ArrowRight")
    audience.wait_slide(2)
    expect(body).to_have_attribute("data-follow", "alone")
    expect(audience.page.locator(".cl-follow-btn")).to_be_visible()
    presenter.go(3)
    audience.page.wait_for_function("() => CL.store.slide === 3")
    assert audience.slide() == 2  # the presenter's move reached it, and it stayed
    audience.page.keyboard.press("f")
    audience.wait_slide(3)
    expect(body).to_have_attribute("data-follow", "following")
    presenter.go(0)
    audience.wait_slide(0)
    audience.page.keyboard.press("ArrowRight")
    expect(body).to_have_attribute("data-follow", "alone")
    audience.page.locator(".cl-follow-btn").click()
    audience.wait_slide(0)
    expect(body).to_have_attribute("data-follow", "following")


def test_taps_do_not_move_a_follower(presenter, audience):
    """In the slide view (the phone upright, switched from the reader view): remark's taps."""
    body = audience.page.locator("body")
    audience.page.locator(".cl-view-btn").click()
    expect(body).to_have_attribute("data-view", "slide")
    try:
        presenter.go(1)
        audience.wait_slide(1)
        audience.page.touchscreen.tap(PHONE["width"] - 20, PHONE["height"] // 2)
        assert audience.slide() == 1
        expect(body).to_have_attribute("data-follow", "following")
        audience.page.keyboard.press("ArrowRight")  # browsing alone, a tap on the right half moves on
        audience.wait_slide(2)
        audience.page.touchscreen.tap(PHONE["width"] - 20, PHONE["height"] // 2)
        audience.wait_slide(3)
        audience.page.keyboard.press("f")
        audience.wait_slide(1)
    finally:
        audience.page.locator(".cl-view-btn").click()
    expect(body).to_have_attribute("data-view", "reader")


def test_in_the_reader_view_a_tap_never_moves_and_the_buttons_do(presenter, audience):
    body = audience.page.locator("body")
    expect(body).to_have_attribute("data-view", "reader")
    presenter.go(1)
    audience.wait_slide(1)
    audience.page.keyboard.press("ArrowRight")
    audience.wait_slide(2)
    expect(body).to_have_attribute("data-follow", "alone")
    audience.page.touchscreen.tap(PHONE["width"] - 20, PHONE["height"] // 2)
    assert audience.slide() == 2  # a finger on the page scrolls it, it does not turn it
    audience.page.locator(".cl-next").click()
    audience.wait_slide(3)
    audience.page.locator(".cl-prev").click()
    audience.wait_slide(2)
    audience.page.locator(".cl-follow-btn").click()
    audience.wait_slide(1)
    expect(body).to_have_attribute("data-follow", "following")


def test_keys_typed_into_a_panel_stay_there(presenter):
    index = presenter.slide_with(THREADS)
    presenter.go(index)
    field = presenter.panel().locator("[data-param='n'] input")
    field.fill("")
    field.press_sequentially("12")
    for key in ["ArrowUp", "ArrowLeft", "ArrowRight", "p", "c", "Space", "Backspace"]:
        field.press(key)
    assert presenter.slide() == index
    expect(presenter.page.locator("body")).not_to_have_class(re.compile("remark-presenter-mode"))
    expect(field).to_have_value("1")  # "12", up to 13, Backspace: "1"
    field.fill("5")
    field.press("Escape")
    presenter.page.keyboard.press("ArrowRight")  # remark has the keys again
    presenter.wait_slide(index + 1)


def test_remark_presenter_mode_notes_numbers_clone_and_print(presenter, audience):
    index = presenter.slide_with(THREADS)
    presenter.go(index)
    audience.wait_slide(index)
    number = presenter.page.locator(".remark-slides-area > .remark-visible .remark-slide-number")
    expect(number).to_have_text(re.compile(r"^\d+ / \d+$"))
    presenter.page.keyboard.press("p")
    expect(presenter.page.locator("body")).to_have_class(re.compile("remark-presenter-mode"))
    expect(presenter.page.locator(".remark-notes-area .remark-notes")).to_contain_text("Presenter-only note")
    presenter.page.keyboard.press("p")
    audience_notes = " ".join(audience.page.locator(".remark-slide-notes").all_text_contents())
    assert "Presenter-only" not in audience_notes
    with presenter.context.expect_page() as opening:
        presenter.page.keyboard.press("c")
    clone = opening.value
    presenter.wait_ready(clone)
    presenter.page.keyboard.press("ArrowRight")
    clone.wait_for_selector(f".remark-slides-area > .remark-slide-container:nth-child({index + 2}).remark-visible",
                            state="attached")
    audience.wait_slide(index + 1)  # the clone did not pull the audience elsewhere
    clone.close()
    pdf = presenter.page.pdf(format="A4", landscape=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == presenter.slide_count()


def test_socket_reconnects_and_resyncs(presenter, audience):
    page = audience.page
    opened = page.evaluate("window.__sockets.length")
    page.evaluate("window.__sockets.find(socket => socket.readyState === WebSocket.OPEN).close()")
    page.wait_for_function(
        "n => window.__sockets.length > n && document.body.dataset.conn === 'open'", arg=opened)
    presenter.go(2)
    audience.wait_slide(2)
    with audience.sockets[-1].expect_event("framesent", lambda payload: '"sync"' in payload):
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    seq = audience.api("/api/state")["seq"]
    with page.expect_request(re.compile(r"/api/state$")):
        page.evaluate("""seq => window.__sockets.find(socket => socket.readyState === WebSocket.OPEN)
            .dispatchEvent(new MessageEvent('message',
            {data: JSON.stringify({type: 'noop', seq: seq + 2})}))""", seq)


def test_deck_switcher_opens_another_deck(open_viewer):
    viewer = open_viewer("/", "switcher")
    names = viewer.page.locator(".cl-deck-select option").all_inner_texts()
    other = next(name for name in names if name != "browser")
    viewer.page.select_option(".cl-deck-select", other)
    viewer.page.wait_for_url(re.compile(rf"[?&]deck={re.escape(other)}"))
    viewer.wait_ready()
    assert viewer.slide_count() > 1

