"""Property: WebSocket message handling (parse_message) never raises, whatever arrives."""
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from live.ws import MAX_BYTES, PRESENTER_ONLY, SCHEMA, Action, Reject, parse_message

ROLES = st.sampled_from(["presenter", "audience"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
KEYS = st.sampled_from(["type", "slide", "demo", "panel", "params", "extra"]) | st.text(max_size=6)
MESSAGES = st.dictionaries(KEYS, VALUES, max_size=5) | st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(SCHEMA)) | st.text(max_size=6)},
    optional={"slide": VALUES, "demo": st.sampled_from(["sync", "threads", "nope"]) | VALUES,
              "panel": VALUES, "params": VALUES})
FRAMES = MESSAGES.map(json.dumps) | st.text() | st.binary() | VALUES.map(json.dumps)


@settings(max_examples=400, deadline=None)
@given(FRAMES, ROLES)
def test_any_frame_gives_an_action_or_a_one_line_reject(frame, role):
    result = parse_message(frame, role)
    assert isinstance(result, (Action, Reject))
    if isinstance(result, Reject):
        assert result.reason and "\n" not in result.reason and len(result.reason) < 300
        return
    assert result.kind in SCHEMA
    assert role == "presenter" or result.kind not in PRESENTER_ONLY
    assert isinstance(frame, str) and len(frame.encode()) <= MAX_BYTES
    assert set(result.fields) <= set(SCHEMA[result.kind])


@given(st.integers(0, 100_000), ROLES)
def test_a_well_formed_goto_is_accepted_from_the_presenter_only(slide, role):
    result = parse_message(json.dumps({"type": "goto", "slide": slide}), role)
    if role == "presenter":
        assert result == Action("goto", {"slide": slide})
    else:
        assert isinstance(result, Reject)


@given(st.text(max_size=64), st.integers(MAX_BYTES, 3 * MAX_BYTES), ROLES)
def test_oversized_frames_are_rejected_before_parsing(text, size, role):
    frame = json.dumps({"type": "sync", "pad": text + "x" * size})
    result = parse_message(frame, role)
    assert isinstance(result, Reject) and result.reason.startswith("message too big")
