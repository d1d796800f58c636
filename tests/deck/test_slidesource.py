"""The deck splitter agrees with remark's rules on the cases our decks rely on."""
import pytest

from slidesource import TYPED_TIMING, prose, shown_slides, split_slides

DECK = """layout: true
class: base
---
class: center

# One
![:demo n=3](sync)
???
notes one
---
```python
---
--
???
```
![:code fetch_all](demos/client_threads.py)
???
notes two
--
more
???
notes three
"""


def test_split_follows_remark():
    slides = split_slides(DECK)
    assert [s.shown for s in slides] == [False, True, True, True]
    assert [s.continued for s in slides] == [False, False, False, True]
    assert slides[1].properties == {"class": "center"}
    assert slides[2].notes_text() == "notes two"


def test_directives_found_in_order():
    found = [d.key() for s in shown_slides(DECK) for d in s.directives()]
    assert found == [("demo", ("n=3",), "sync"),
                     ("code", ("fetch_all",), "demos/client_threads.py")]


@pytest.mark.parametrize("text, kept", [
    ("a `1 s` b", "a   b"),
    ("```\n2 s\n```\nc", "c"),
    ("![:demo delay=1](sync)", " "),
])
def test_prose_drops_code_and_directives(text, kept):
    assert prose(enumerate(text.splitlines())) == kept


@pytest.mark.parametrize("text", ["took 3.2 s", "1秒", "about 10 ms", "three seconds", "三秒",
                                  "3x faster", "2.5 倍", "12 s, not 10"])
def test_typed_timings_are_found(text):
    assert TYPED_TIMING.search(text)


@pytest.mark.parametrize("text", ["n·d", "ceil(n/W)·d", "3 sync workers", "Python 3.13",
                                  "PEP 703", "ワーカー 3 つ", "delay 1 回分", "100 slots"])
def test_formulas_and_counts_pass(text):
    assert not TYPED_TIMING.search(text)
