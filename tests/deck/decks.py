"""Where the decks are, which of them are talks (and of which length), and which are parallel
editions of another."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "slides"
DECKS = sorted(path.stem for path in SLIDES.glob("*.md"))
# An edition `<name>-<lang>` (a two-letter language code) is slide-parallel with `<name>`.
EDITION = re.compile(r"(?P<original>.+)-(?P<lang>[a-z]{2})")
EDITIONS = [(m["original"], name) for name in DECKS
            if (m := EDITION.fullmatch(name)) and m["original"] in DECKS]
#: The talks and the slide counts their slot allows: the full talk places every demo; the
#: 30-minute cut (talk-30) keeps the spine. Editions share their original's length.
LENGTHS = {"talk": range(25, 49), "talk-30": range(18, 31)}
FULL = "talk"
#: A cut is its full talk's slides, a subset, edited to stand alone: {cut: the talk it is cut from}
CUTS = {"talk-30": FULL}


def original(name):
    """The deck `name` is an edition of, or `name` itself."""
    m = EDITION.fullmatch(name)
    return m["original"] if m and m["original"] in DECKS else name


TALKS = [name for name in DECKS if original(name) in LENGTHS]


def read_deck(name):
    """A deck's markdown source."""
    return (SLIDES / f"{name}.md").read_text(encoding="utf-8")
