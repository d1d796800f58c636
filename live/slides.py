"""Which demo panels each slide shows, found with remark's own lexer (live/remarkdown.py), so a
late joiner's hello can carry the runs of the slide it opens on.

Slides are what remark counts: `---` starts one, `--` starts one that keeps the previous one's
content, and `layout: true` or `exclude: true` slides are not shown. Panels are numbered like
live/directives.py numbers them (every `demo` macro of the deck, notes included, from p1). A
miss costs little: a panel whose run is not in the hello fetches it.
"""
import os
import re
import threading

from live.remarkdown import lex

PROPERTY = re.compile(r"\n*([-\w]+):([^\n]*)(?:\n|\Z)")


def properties(text):
    """A slide's leading `name: value` lines, as remark reads them."""
    found, pos = {}, 0
    while (match := PROPERTY.match(text, pos)) is not None:
        found[match.group(1)] = match.group(2).strip()
        pos = match.end()
    return found


def walk(tokens):
    """The tokens in document order, content blocks opened."""
    for token in tokens:
        yield token
        if token.kind == "content":
            yield from walk(token.children)


def panels_by_slide(source):
    """[[(panel id, demo id), ...] per shown slide], in remark's slide order."""
    slides = [{"text": "", "panels": [], "notes": False}]
    ordinal = 0
    for token in walk(lex(source)):
        slide = slides[-1]
        if token.kind == "separator":
            kept = list(slide["panels"]) if token.raw.strip() == "--" else []
            slides.append({"text": "", "panels": kept, "notes": False})
        elif token.kind == "notes":
            slide["notes"] = True
        elif token.kind == "macro" and token.name == "demo":
            ordinal += 1
            if not slide["notes"]:
                slide["panels"].append((f"p{ordinal}", token.value.strip()))
        elif not slide["notes"] and token.kind != "content":
            slide["text"] += token.raw
    shown = []
    for slide in slides:
        props = properties(slide["text"])
        if props.get("layout") != "true" and props.get("exclude") != "true":
            shown.append(slide["panels"])
    return shown


class DeckPanels:
    """panels_by_slide of one deck file, read again when the file changes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.stamp = None
        self.slides = []

    def refresh(self):
        """Re-read the deck if it changed (call it outside any lock the room shares)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self.lock:
            if stamp == self.stamp:
                return
        try:
            slides = panels_by_slide(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            slides = []
        with self.lock:
            self.stamp, self.slides = stamp, slides

    def on(self, slide):
        """The panels of slide `slide` (0-based), from what was last read."""
        with self.lock:
            return list(self.slides[slide]) if 0 <= slide < len(self.slides) else []
