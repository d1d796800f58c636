"""Fixtures for the deck tests: the decks in slides/, parsed the way remark splits them, and
for the render test a deck app of its own (root `module_app_factory`; Chromium is the root
`chromium`).
"""
import pytest

from decks import DECKS, read_deck
from slidesource import split_slides


@pytest.fixture(params=DECKS)
def deck_name(request):
    """The name of every deck in slides/."""
    return request.param


@pytest.fixture
def deck_source(deck_name):
    return read_deck(deck_name)


@pytest.fixture
def deck_slides(deck_source):
    """Every entry of remark's slide array for the deck (layout templates included)."""
    return split_slides(deck_source)


@pytest.fixture
def shown(deck_slides):
    """The slides remark shows."""
    return [slide for slide in deck_slides if slide.shown]


@pytest.fixture(scope="module")
def deck_app(module_app_factory):
    """An app of our own: the render test moves the presenter's slide, which others may watch."""
    return module_app_factory()

