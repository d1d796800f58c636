"""live/slides.py finds each panel on the slide where remark shows it (hellos carry the runs of
the presenter's slide by that map)."""
import pytest

from browsing import DECK, SLIDES
from live.slides import panels_by_slide

pytestmark = pytest.mark.browser


def test_the_servers_slide_map_matches_remarks_slides(presenter):
    shown = presenter.page.evaluate(
        f"() => Array.from(document.querySelectorAll('{SLIDES}'), slide =>"
        " Array.from(slide.querySelectorAll('.demo-panel[data-panel]'),"
        " node => [node.dataset.panel, node.dataset.demo]))")
    expected = [[list(pair) for pair in panels] for panels in
                panels_by_slide(DECK.read_text(encoding="utf-8"))]
    assert shown == expected
