"""Split a deck's markdown into slides the way remark does, and find our directives in them.

remark splits on lines that are exactly `---` (new slide) or `--` (increment) outside fenced
code, starts the speaker notes at a line `???`, reads `key: value` lines at a slide's start as
properties, and does not show a `layout: true` slide (it is a template for the ones after it).
"""
import re
from dataclasses import dataclass, field

FENCE = re.compile(r"^ *(`{3,}|~{3,})")
SEPARATOR = re.compile(r"^(---?)$")
PROPERTY = re.compile(r"^([-A-Za-z0-9_]+):(.*)$")  # JavaScript's \w is ASCII
DIRECTIVE = re.compile(r"!\[:([\w-]+)([^\]]*)\]\(([^)]*)\)")
DIRECTIVE_LINE = re.compile(r"^!\[:([\w-]+)([^\]]*)\]\(([^)]*)\)$")
# A time typed into the text: a number with a unit (1.2 s, 3秒), in words, or a speed-up.
# Formulas (n·d) and counts (3 workers, Python 3.13) pass; code and directives are left out first.
ASCII_UNIT = r"(?:ms|s|secs?|seconds?|minutes?|min)(?![A-Za-z])"
TYPED_TIMING = re.compile(
    rf"\d+(?:[.,]\d+)?\s*(?:{ASCII_UNIT}|ミリ秒|秒|分)"                    # 1.2 s, 3秒
    r"|\b(?:one|two|three|four|five|ten|half a) (?:second|minute)s?\b"   # two seconds
    r"|[一二三四五六七八九十数]+\s*秒"                                        # 三秒
    r"|\d+(?:[.,]\d+)?\s*(?:x|×|倍|times)(?![A-Za-z])",                    # 3x faster
    re.IGNORECASE)
# remark's own property names; anything else at a slide's start would be eaten silently.
KNOWN_PROPERTIES = {"name", "class", "layout", "template", "count", "exclude",
                    "background-image", "background-color", "background-size",
                    "background-position"}


@dataclass
class Directive:
    """One `![:name args](value)` line."""
    name: str
    args: list
    value: str
    line: int

    def key(self):
        """What must match between parallel editions."""
        return (self.name, tuple(self.args), self.value)


@dataclass
class Slide:
    """One entry of remark's slide array (an increment is a slide of its own)."""
    number: int
    first_line: int
    continued: bool
    properties: dict = field(default_factory=dict)
    content: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    has_notes_separator: bool = False

    @property
    def shown(self):
        """remark skips layout slides and excluded ones."""
        return (self.properties.get("layout") != "true"
                and self.properties.get("exclude") != "true")

    def content_text(self):
        return "\n".join(text for _, text in self.content)

    def notes_text(self):
        return "\n".join(text for _, text in self.notes).strip()

    def directives(self):
        """The directives of the slide's content (never the notes), in order."""
        found = []
        for line_no, text in self.content:
            for match in DIRECTIVE.finditer(text):
                found.append(parse_directive(match, line_no))
        return found


def parse_directive(match, line_no):
    name, raw_args, value = match.groups()
    args = [arg.strip() for arg in raw_args.split(",")] if raw_args.strip() else []
    return Directive(name, args, value.strip(), line_no)


def split_slides(source):
    """The deck's slides in remark's order, with their 1-based source line numbers."""
    slides = [Slide(number=1, first_line=1, continued=False)]
    fence = None
    for line_no, line in enumerate(source.splitlines(), start=1):
        current = slides[-1]
        fence = track_fence(fence, line)
        if fence is None and SEPARATOR.match(line):
            slides.append(Slide(number=len(slides) + 1, first_line=line_no + 1,
                                continued=line == "--"))
        elif fence is None and line == "???":
            current.has_notes_separator = True
        elif current.has_notes_separator:
            current.notes.append((line_no, line))
        else:
            current.content.append((line_no, line))
    for slide in slides:
        slide.properties = take_properties(slide.content)
    return slides


def track_fence(fence, line):
    """The open fence marker after this line (None outside fenced code)."""
    match = FENCE.match(line)
    if not match:
        return fence
    marker = match.group(1)
    if fence is None:
        return marker
    if marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker):]:
        return None
    return fence


def take_properties(content):
    """Pop the leading `key: value` lines, as remark does (blank lines around them included)."""
    properties = {}
    while True:
        blanks = next((i for i, (_, text) in enumerate(content) if text.strip()), len(content))
        match = PROPERTY.match(content[blanks][1]) if blanks < len(content) else None
        if not match:
            return properties
        properties[match.group(1)] = match.group(2).strip()
        del content[:blanks + 1]


def shown_slides(source):
    """The slides remark shows (layout templates left out)."""
    return [slide for slide in split_slides(source) if slide.shown]


def prose(lines):
    """The text of these lines without fenced code, inline code and directives."""
    kept, fence = [], None
    for _, text in lines:
        was_open = fence
        fence = track_fence(fence, text)
        if was_open is None and fence is None:
            kept.append(DIRECTIVE.sub(" ", re.sub(r"`[^`]*`", " ", text)))
    return "\n".join(kept)
