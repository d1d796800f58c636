"""Fixtures for the deck tests: the decks in slides/, parsed the way remark splits them.

Builds on the root tests/conftest.py (the live app fixture is used by the render test).
"""
from pathlib import Path

import pytest

from slidesource import split_slides

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "slides"
DECKS = sorted(path.stem for path in SLIDES.glob("*.md"))
TALKS = [name for name in DECKS if name == "talk" or name.startswith("talk-")]
# An edition `<name>-<lang>` is slide-parallel with `<name>`.
EDITIONS = [(name.rsplit("-", 1)[0], name) for name in DECKS
            if "-" in name and name.rsplit("-", 1)[0] in DECKS]


@pytest.fixture(scope="session")
def repo_root():
    """The checkout's root folder."""
    return ROOT


def read_deck(name):
    """A deck's markdown source."""
    return (SLIDES / f"{name}.md").read_text(encoding="utf-8")


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
