"""Crowd rounds and predictions in real Chromium: a presenter and three phones (each a browser
context of its own, so a device id of its own) on a deck of crowd, predict and compare panels.
Screenshots of the presenter's screen and of a phone go to test-artifacts/crowd/."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
DECK = HERE / "decks" / "crowd.md"
ARTIFACTS = HERE.parent.parent / "test-artifacts" / "crowd"
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 20_000
VISIBLE = ".remark-slides-area > .remark-visible"
expect.set_options(timeout=WAIT_MS)


class Page:
    def __init__(self, chromium, app, path, viewport):
        self.context = chromium.new_context(viewport=viewport, has_touch=viewport is PHONE,
                                            base_url=app.url)
        self.context.set_default_timeout(WAIT_MS)
        self.page = self.context.new_page()
        self.problems = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.goto(path)
        self.page.wait_for_selector("body[data-ready='true'][data-conn='open']", state="attached")

    def go(self, index):
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        self.page.keyboard.press(str(index + 1))
        self.page.keyboard.press("Enter")
        self.wait_slide(index)

    def wait_slide(self, index):
        self.page.wait_for_function(
            "k => CL.deck.slideshow().getCurrentSlideIndex() === k", arg=index)

    def visible(self, selector):
        return self.page.locator(f"{VISIBLE} {selector}")

    def dock(self, selector):
        """The Send button and its texts live in a dock outside the (scaled) slide."""
        return self.page.locator(f".crowd-dock {selector}")

    def shot(self, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name))


@pytest.fixture(scope="module")
def deck_app(module_app_factory):
    return module_app_factory("--deck", str(DECK))


@pytest.fixture(scope="module")
def room(chromium, deck_app):
    presenter = Page(chromium, deck_app, f"/presenter?token={deck_app.token}", PROJECTOR)
    phones = [Page(chromium, deck_app, "/", PHONE) for _ in range(3)]
    yield presenter, phones
    for page in [presenter, *phones]:
        assert not page.problems, page.problems
        page.context.close()


def test_taps_from_three_phones_are_each_their_own_marked_row(room):
    presenter, phones = room
    presenter.go(1)
    for phone in phones:
        phone.wait_slide(1)
        expect(phone.dock(".crowd-send")).to_be_hidden()
    presenter.visible(".crowd-open").click()
    for phone in phones:
        expect(phone.dock(".crowd-send")).to_be_visible()
        phone.dock(".crowd-send").tap()
    for phone in phones:
        expect(phone.visible(".crowd-timeline [data-request]")).to_have_count(3)
        expect(phone.visible(".crowd-timeline .tl-mine")).to_have_count(1)
    expect(presenter.visible(".crowd-timeline [data-request]")).to_have_count(3)
    expect(presenter.visible(".crowd-timeline .tl-mine")).to_have_count(0)
    mine = {phone.visible(".tl-mine").get_attribute("data-request") for phone in phones}
    assert mine == {"0", "1", "2"}
    phones[0].shot("phone-waiting.png")
    presenter.shot("presenter-round.png")
    for phone in phones:
        expect(phone.dock(".crowd-you")).to_have_text(
            re.compile(r"you waited \d+\.\d+ s for worker [12] \(then served in"), timeout=30_000)
    expect(presenter.page.locator(".cl-room")).to_have_text(
        re.compile(r"3 viewers · 3 following · 0 browsing alone · 3 tapping"))
    phones[0].shot("phone-answered.png")
    presenter.visible(".crowd-close").click()
    for phone in phones:
        expect(phone.dock(".crowd-send")).to_be_hidden()


def test_the_presenter_sees_who_follows_and_who_browses_alone(room):
    presenter, phones = room
    phones[2].page.keyboard.press("ArrowRight")
    expect(presenter.page.locator(".cl-room")).to_have_text(
        re.compile(r"^3 viewers · 2 following · 1 browsing alone$"))
    phones[2].page.keyboard.press("f")
    expect(presenter.page.locator(".cl-room")).to_have_text(
        re.compile(r"^3 viewers · 3 following · 0 browsing alone$"))


def test_a_refused_tap_says_why_and_a_closed_round_takes_none(room):
    presenter, phones = room
    presenter.go(2)
    presenter.visible(".crowd-open").click()
    phone = phones[1]
    expect(phone.dock(".crowd-send")).to_be_visible()
    phone.page.evaluate("CL.socket.send({type: 'crowd_open', panel: 'c9'})")
    expect(phone.page.locator(".cl-toast").last).to_have_text(
        "crowd_open: only the presenter can do that")
    presenter.visible(".crowd-close").click()
    expect(phone.dock(".crowd-send")).to_be_hidden()
    phone.page.evaluate("CL.socket.send({type: 'crowd_tap'})")
    expect(phone.dock(".crowd-reason")).to_have_text(
        "no round is open: wait for the presenter")
    expect(phone.visible(".crowd-timeline [data-request]")).to_have_count(0)


def test_votes_tally_live_change_until_closed_and_show_in_compare(room):
    presenter, phones = room
    presenter.go(3)
    presenter.visible(".predict-open").click()
    for phone, option in zip(phones, ["threads", "threads", "sync"]):
        phone.wait_slide(3)
        phone.visible(f".predict-option[data-option='{option}']").tap()
    expect(presenter.visible(".predict-count[data-option='threads']")).to_have_text("2")
    phones[1].visible(".predict-option[data-option='asyncio']").tap()
    for page in [presenter, *phones]:
        expect(page.visible(".predict-count[data-option='threads']")).to_have_text("1")
        expect(page.visible(".predict-count[data-option='asyncio']")).to_have_text("1")
    expect(phones[1].visible(".predict-option[data-option='asyncio']")).to_have_class(
        re.compile("predict-mine"))
    phones[0].shot("phone-predict.png")
    presenter.visible(".predict-close").click()
    expect(phones[0].visible(".predict-option[data-option='processes']")).to_be_disabled()
    pid = int(presenter.visible(".predict-panel").get_attribute("data-prediction"))
    phones[0].page.evaluate(f"CL.socket.send({{type: 'vote', prediction: {pid}, option: 'processes'}})")
    expect(phones[0].page.locator(".cl-toast").last).to_have_text(
        f"vote: prediction {pid} is closed")
    expect(presenter.visible(".predict-count[data-option='processes']")).to_have_text("0")
    run_quick_demos(presenter)
    presenter.go(4)
    rows = presenter.visible(".compare-panel .cmp-row")
    expect(rows.filter(has_text="the room on gunicorn")).to_have_count(1)
    expect(presenter.visible(".cmp-votes[data-option='threads']")).to_have_text("1 vote")
    expect(presenter.visible(".cmp-votes[data-option='sync']")).to_have_text("1 vote")
    expect(presenter.visible(".cmp-predict")).to_have_text(re.compile(
        r"The room predicted .+ \(1 of 3 votes\); measured winner: A thread per request in "))
    expect(presenter.visible(".cmp-winner")).to_have_count(1)
    presenter.shot("presenter-compare.png")


def run_quick_demos(presenter):
    """Two short runs through the HTTP API (presenter), one after the other."""
    for demo, params in (("sync", {"n": 3, "delay": 0.2}), ("threads", {"n": 3, "delay": 0.2})):
        response = presenter.context.request.post("/api/runs", data={"demo": demo, **params})
        assert response.status == 202, response.text()
        expect(presenter.page.locator("body")).to_have_attribute("data-conn", "open")
        presenter.page.wait_for_function(
            "id => CL.store.runs.has(id) && CL.store.isFinal(CL.store.runs.get(id).status)",
            arg=response.json()["id"])
