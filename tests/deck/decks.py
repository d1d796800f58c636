"""Where the decks are, and which of them are talks and parallel editions."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "slides"
DECKS = sorted(path.stem for path in SLIDES.glob("*.md"))
TALKS = [name for name in DECKS if name == "talk" or name.startswith("talk-")]
# An edition `<name>-<lang>` is slide-parallel with `<name>`.
EDITIONS = [(name.rsplit("-", 1)[0], name) for name in DECKS
            if "-" in name and name.rsplit("-", 1)[0] in DECKS]


def read_deck(name):
    """A deck's markdown source."""
    return (SLIDES / f"{name}.md").read_text(encoding="utf-8")
