"""Two small pure parts: the token buckets (live/ratelimit.py) and the relay's check of the
runner's lines (live/relay.py parse_line)."""
import pytest

from live.ratelimit import TokenBucket
from live.relay import parse_line


def test_token_bucket():
    now = [0.0]
    bucket = TokenBucket(rate=2, capacity=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5
    assert bucket.take() and not bucket.take()


@pytest.mark.parametrize("line", ["", "null", "[]", '{"type": "span", "i": true}',
                                  '{"type": "span", "client_start": NaN}',
                                  '{"type": "error", "i": 1}', '{"type": "other"}',
                                  '{"type": "span", "worker": 5}'])
def test_relay_drops_lines_that_are_not_events(line):
    assert parse_line(line) is None
