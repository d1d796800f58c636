"""The talk's question slides in real browsers: each panel shows, with the slide's value, every
parameter its slide sets (timeout on "Question 2", fail on "Question 3", server=asyncio on
"Question 1, continued"), for the presenter (an input) and for the audience (the value)."""
import re

import pytest
from playwright.sync_api import expect

from browsing import PHONE, ROOT, VISIBLE, Viewer

pytestmark = pytest.mark.browser
TALK = ROOT / "slides" / "talk.md"
QUESTION = re.compile(r"^## (Question \d[^\n]*)\n+!\[:demo ([^\]]*)\]\((\w+)\)", re.M)


def question_panels():
    """(heading, demo, {name: value}) of every question slide that places a demo panel."""
    found = []
    for heading, args, demo in QUESTION.findall(TALK.read_text(encoding="utf-8")):
        params = dict(arg.strip().split("=", 1) for arg in args.split(",") if arg.strip())
        found.append((heading, demo, params))
    return found


PANELS = question_panels()


def test_the_question_slides_set_what_the_issue_names():
    by_heading = {heading.split(":")[0]: params for heading, _, params in PANELS}
    assert "timeout" in by_heading["Question 2"] and "fail" in by_heading["Question 3"]


@pytest.fixture(scope="module")
def talk(module_app_factory, chromium):
    """The presenter and an audience phone on an app of their own serving the talk."""
    app = module_app_factory()
    presenter = Viewer(chromium, app.url, "presenter", {"width": 1280, "height": 720})
    audience = Viewer(chromium, app.url, "audience", PHONE)
    try:
        presenter.open(f"/presenter?token={app.token}")
        audience.open("/")
        yield presenter, audience
    finally:
        presenter.close()
        audience.close()
    assert not (presenter.problems + audience.problems + presenter.foreign + audience.foreign)


def slide_titled(viewer, heading):
    index = viewer.page.evaluate(
        """h => Array.from(document.querySelectorAll('.remark-slides-area > .remark-slide-container'))
             .findIndex(node => Array.from(node.querySelectorAll('h2'))
             .some(title => title.textContent.trim() === h))""", heading)
    assert index >= 0, f"no slide titled {heading!r}"
    return index


def same(shown, expected):
    try:
        return float(shown) == float(expected)
    except ValueError:
        return shown == expected


@pytest.mark.parametrize("heading, demo, params", PANELS, ids=[h for h, _, _ in PANELS])
def test_each_question_panel_shows_what_its_slide_sets(talk, heading, demo, params):
    presenter, audience = talk
    presenter.go(slide_titled(presenter, heading))
    audience.wait_slide(presenter.slide())
    for viewer, value_of in ((presenter, ["input", "select"]), (audience, [".panel-param-value"])):
        panel = viewer.page.locator(f"{VISIBLE} .demo-panel[data-demo='{demo}']")
        expect(panel, viewer.name).to_have_count(1)
        for name, expected in params.items():
            field = panel.locator(", ".join(f"[data-param='{name}'] {tag}" for tag in value_of))
            expect(field).to_have_count(1)
            shown = field.input_value() if viewer is presenter else field.inner_text()
            assert same(shown, expected), (viewer.name, heading, name, shown, expected)
