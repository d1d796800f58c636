"""Engine fixtures: an app of their own on the browser test deck, the presenter in Chromium
(as in tests/browser), and one audience page per engine, shaped like a phone held upright.

    engine_app   an app on tests/browser/decks/browser.md, restartable on the same port
    presenter    the presenter's page in Chromium (module-wide)
    engine       the audience page in WebKit or in Firefox (module-wide, one module per engine)
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "browser"))
from browsing import DECK, PROJECTOR, Viewer  # noqa: E402  (tests/browser's own helper)

from engines import ENGINES  # noqa: E402

PHONE_UPRIGHT = (390, 844)
ENGINE_PARAMS = [pytest.param(name, marks=getattr(pytest.mark, name)) for name in ENGINES]


@pytest.fixture(scope="module")
def engine_app(app_factory):
    return app_factory("--deck", str(DECK))


@pytest.fixture(scope="module")
def presenter(chromium, engine_app):
    viewer = Viewer(chromium, engine_app.url, "presenter", PROJECTOR)
    yield viewer.open(f"/presenter?token={engine_app.token}")
    viewer.close()


@pytest.fixture(scope="module", params=ENGINE_PARAMS)
def engine(request, presenter, engine_app):
    """Opened after the presenter, so it has someone to follow."""
    page = ENGINES[request.param](*PHONE_UPRIGHT)
    try:
        page.open(engine_app.url + "/")
        yield page
    finally:
        page.close()
