"""remark's block lexer, ported from remark-slide 0.14 (src/remark/lexer.js), so the server finds
slide separators, speaker notes and macros exactly where remark will: never inside fenced or
indented code, and never inside a `.class[...]` block (which remark lexes without separators).

`lex(source)` returns tokens whose `raw` texts concatenate back to the (cleaned) source.
"""
import re
from dataclasses import dataclass, field

CODE = r"(?:^|\n)( {4}[^\n]+\n*)+"
INLINE_CODE = r"`([^`]+?)`"
CONTENT = r"(?:\\)?((?:\.[a-zA-Z_\-][a-zA-Z\-_0-9]*)+)\["
FENCES = r"(?:^|\n) *(`{3,}|~{3,}) *(?:\S+)? *\n(?:[\s\S]+?)\s*\4 *(?:\n+|\Z)"
DEF = r"(?:^|\n) *\[([^\]]+)\]: *<?([^\s>]+)>?(?: +[\"(]([^\n]+)[\")])? *(?:\n+|\Z)"
MACRO = r"!\[:([^\] ]+)([^\]]*)\](?:\(([^\)]*)\))?"
SEPARATOR = r"(?:^|\n)(---?)(?:\n|\Z)"
NOTES_SEPARATOR = r"(?:^|\n)(\?{3})(?:\n|\Z)"  # JavaScript's `$` without /m is Python's \Z

BLOCK = re.compile("|".join([CODE, INLINE_CODE, CONTENT, FENCES, DEF, MACRO, SEPARATOR,
                             NOTES_SEPARATOR]))
INLINE = re.compile("|".join([CODE, INLINE_CODE, CONTENT, FENCES, DEF, MACRO]))
# Group numbers, as in lexer.js (the inline pattern shares the first ten).
G_CODE, G_INLINE, G_CONTENT, G_FENCES, G_DEF, G_MACRO, G_ARGS, G_OBJ, G_SEP, G_NOTES = \
    1, 2, 3, 4, 5, 8, 9, 10, 11, 12
KINDS = [(G_CODE, "code"), (G_INLINE, "text"), (G_FENCES, "fences"), (G_DEF, "def"),
         (G_MACRO, "macro"), (G_SEP, "separator"), (G_NOTES, "notes")]


@dataclass
class Token:
    kind: str  # text code fences def macro separator notes content
    raw: str
    name: str = ""  # a macro's name
    args: list = field(default_factory=list)  # a macro's arguments, trimmed
    value: str = ""  # a macro's (value)
    children: list = field(default_factory=list)  # a content block's tokens
    prefix: str = ""  # a content block's `.class[`


def clean_input(source):
    """remark's cleanInput: when every line is indented, remove the common indentation."""
    widths = [len(m.group(1)) for m in re.finditer(r"^([ \t]*)[^ \t\n]", source, re.M)]
    if not widths:
        return source
    return re.sub(r"^[ \t]{0,%d}" % min(widths), "", source, flags=re.M)


def text_in_brackets(src, offset):
    """The text up to the `]` that balances an opening `[` before `offset`, or None."""
    depth, pos = 1, offset
    while depth > 0 and pos < len(src):
        depth += {"[": 1, "]": -1}.get(src[pos], 0)
        pos += 1
    return src[offset:pos - 1] if depth == 0 else None


def token_for(match):
    """The token of a match that is not a content block."""
    kind = next(kind for group, kind in KINDS if match.group(group))
    if kind != "macro":
        return Token(kind, match.group(0))
    args = [arg.strip() for arg in (match.group(G_ARGS) or "").split(",")]
    return Token("macro", match.group(0), name=match.group(G_MACRO), args=args,
                 value=match.group(G_OBJ) or "")


def lex(source, pattern=BLOCK):
    """Tokens of `source` (CRLF and common indentation cleaned first, as remark does)."""
    if pattern is BLOCK:
        source = clean_input(source.replace("\r\n", "\n"))
    tokens, src = [], source
    while (match := pattern.search(src)) is not None:
        if match.start() > 0:
            tokens.append(Token("text", src[:match.start()]))
        end = match.end()
        if any(match.group(g) for g, _ in KINDS if g <= pattern.groups):
            tokens.append(token_for(match))
        else:  # a content block `.class[...]`
            inner = text_in_brackets(src, end)
            if inner is None:
                tokens.append(Token("text", match.group(0)))
            else:
                end += len(inner) + 1
                kind = "text" if match.group(0).startswith("\\") else "content"
                tokens.append(Token(kind, match.group(0) + inner + "]", prefix=match.group(0),
                                    children=lex(inner, INLINE) if kind == "content" else []))
        src = src[end:]
    if src or not tokens:
        tokens.append(Token("text", src))
    return tokens


def without_notes(tokens):
    """The tokens minus every `???` and what follows it up to the next slide separator.

    A separator right after notes may have lost its leading newline to them (`\n???\n` ate it,
    or a fence, indented code or link definition at the end of the notes ate the newlines
    before it): remark saw it at the start of what was left, but glued to the text before the
    notes (`Welcome.---`) it would be no separator at all. So a newline goes back in its place.
    """
    kept, in_notes = [], False
    for token in tokens:
        if token.kind == "notes":
            in_notes = True
        elif token.kind == "separator":
            if in_notes and not token.raw.startswith("\n") and not ends_a_line(kept):
                kept.append(Token("text", "\n"))
            in_notes = False
        if not in_notes:
            kept.append(token)
    return kept


def ends_a_line(tokens):
    """Does the text of `tokens` end with a newline, or is it empty (the deck's start)?"""
    return not tokens or render(tokens[-1:], lambda token: None).endswith("\n")


def render(tokens, expand):
    """Join tokens back into markdown; `expand(token)` returns a macro's text or None to keep it."""
    out = []
    for token in tokens:
        if token.kind == "content":
            out.append(token.prefix + render(token.children, expand) + "]")
        elif token.kind == "macro":
            text = expand(token)
            out.append(token.raw if text is None else text)
        else:
            out.append(token.raw)
    return "".join(out)
