"""Every deck parses the way remark will split it, and every directive in it resolves."""
import ast
import re

import pytest

from decks import CUTS, DECKS, EDITIONS, FULL, LENGTHS, ROOT, TALKS, original, read_deck
from slidesource import (DIRECTIVE, DIRECTIVE_LINE, KNOWN_PROPERTIES, TYPED_TIMING, prose,
                         shown_slides)

DIRECTIVE_ARITY = {"code": (0, 1), "demo": None, "compare": None, "audience-url": (0, 0),
                   "audience-qr": (0, 0), "bench": (0, 0), "crowd": None, "predict": (0, 0)}


def directives(slides):
    return [directive for slide in slides for directive in slide.directives()]


def test_every_slide_has_notes(shown):
    missing = [slide.first_line for slide in shown if not slide.notes_text()]
    assert not missing, f"slides starting at lines {missing} have no speaker notes (???)"


def test_properties_are_remarks_own(shown):
    """A first line like `Note: ...` would be eaten by remark as a slide property."""
    odd = [(slide.first_line, key) for slide in shown
           for key in slide.properties if key not in KNOWN_PROPERTIES]
    assert not odd


def test_directives_stand_on_their_own_line(deck_slides):
    for slide in deck_slides:
        for line_no, text in slide.content + slide.notes:
            if DIRECTIVE.search(text):
                assert DIRECTIVE_LINE.match(text.strip()), f"line {line_no}: {text!r}"
        assert not any(DIRECTIVE.search(text) for _, text in slide.notes), \
            f"a directive in the notes of the slide at line {slide.first_line}"


def test_directives_are_known(deck_slides):
    for directive in directives(deck_slides):
        assert directive.name in DIRECTIVE_ARITY, f"line {directive.line}: ![:{directive.name}]"
        arity = DIRECTIVE_ARITY[directive.name]
        if arity:
            assert arity[0] <= len(directive.args) <= arity[1], f"line {directive.line}"


def test_code_includes_resolve(deck_slides):
    for directive in directives(deck_slides):
        if directive.name != "code":
            continue
        path = (ROOT / directive.value).resolve()
        assert path.is_relative_to(ROOT / "demos"), f"line {directive.line}: outside demos/"
        assert path.is_file(), f"line {directive.line}: no file {directive.value}"
        if directive.args:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {node.name for node in tree.body if isinstance(  # top level, as served
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
            assert directive.args[0] in names, \
                f"line {directive.line}: no {directive.args[0]} in {directive.value}"


def test_demo_directives_validate(deck_slides):
    from runner.catalog import validate
    for directive in directives(deck_slides):
        if directive.name == "demo":
            raw = dict(arg.split("=", 1) for arg in directive.args)
            validate(directive.value, {key.strip(): value.strip() for key, value in raw.items()})


def test_bench_directives_have_results(deck_slides):
    for directive in directives(deck_slides):
        if directive.name == "bench":
            assert re.fullmatch(r"[a-z0-9_-]+", directive.value)
            assert (ROOT / "docs" / "bench" / f"{directive.value}.json").is_file(), \
                f"run the benchmark that writes docs/bench/{directive.value}.json"


def test_no_typed_timings(shown):
    """Every timing on a slide comes from a live run or the bench directive."""
    for slide in shown:
        for part, lines in (("slide", slide.content), ("notes", slide.notes)):
            found = TYPED_TIMING.findall(prose(lines))
            assert not found, f"{part} of the slide at line {slide.first_line}: {found}"


@pytest.mark.parametrize("talk", TALKS)
def test_talk_length(talk):
    count = len(shown_slides(read_deck(talk)))
    allowed = LENGTHS[original(talk)]
    assert count in allowed, f"{talk} has {count} slides ({allowed.start}-{allowed.stop - 1})"


@pytest.mark.parametrize("talk", [t for t in TALKS if original(t) == FULL])
def test_the_full_talk_places_every_demo(talk):
    from runner.catalog import DEMOS
    placed = {d.value for d in directives(shown_slides(read_deck(talk))) if d.name == "demo"}
    assert not set(DEMOS) - placed, f"{talk} never places {sorted(set(DEMOS) - placed)}"


def test_both_lengths_exist_in_both_languages():
    assert {"talk", "talk-ja", "talk-30", "talk-30-ja"} <= set(TALKS)
    assert ("talk-30", "talk-30-ja") in EDITIONS and ("talk", "talk-ja") in EDITIONS
    assert ("talk", "talk-30") not in EDITIONS  # a cut is not a translation


@pytest.mark.parametrize("original, edition", EDITIONS)
def test_editions_are_slide_parallel(original, edition):
    """Same slides, increments and directives, so panels line up across languages."""
    ours, theirs = shown_slides(read_deck(original)), shown_slides(read_deck(edition))
    assert [s.continued for s in ours] == [s.continued for s in theirs]
    assert [s.properties for s in ours] == [s.properties for s in theirs]  # same layout
    for mine, other in zip(ours, theirs):
        assert [d.key() for d in mine.directives()] == [d.key() for d in other.directives()], \
            f"{original}:{mine.first_line} vs {edition}:{other.first_line}"


def titled(slides):
    """{(title, k): directive keys} of each shown slide: its first heading, the k-th slide so
    titled (an increment repeats its slide's heading)."""
    found, seen = {}, {}
    for slide in slides:
        title = next((text.lstrip("#").strip() for _, text in slide.content
                      if text.startswith("#")), None)
        seen[title] = seen.get(title, -1) + 1
        found[(title, seen[title])] = [d.key() for d in slide.directives()]
    return found


# each cut against its talk, and each edition of a cut against the same edition of its talk
CUT_PAIRS = list(CUTS.items()) + [(edition, CUTS[cut] + edition[len(cut):])
                                  for cut, edition in EDITIONS if cut in CUTS]


@pytest.mark.parametrize("cut, talk", CUT_PAIRS)
def test_a_cut_shows_its_talks_slides_with_the_same_code_and_panels(cut, talk):
    """The 30-minute cut is edited by hand from the full talk: each of its slides is one of the
    talk's (by heading), with the same directives, so an edit of the talk's code or a panel's
    parameters that misses the cut fails here."""
    ours, theirs = titled(shown_slides(read_deck(cut))), titled(shown_slides(read_deck(talk)))
    assert set(ours) <= set(theirs), f"{cut} has slides {talk} has not: {sorted(set(ours) - set(theirs), key=str)}"
    drifted = [key for key in ours if ours[key] != theirs[key]]
    assert not drifted, f"{cut} and {talk} differ in the directives of {drifted}"


def test_decks_found():
    assert "talk" in DECKS and "starter" in DECKS
