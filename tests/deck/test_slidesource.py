"""The deck splitter agrees with remark's rules on the cases our decks rely on."""
import pytest

from slidesource import prose, shown_slides, split_slides

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
