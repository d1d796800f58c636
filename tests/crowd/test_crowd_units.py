"""The crowd's pure parts: directives, parameters, options, the compact rows message, the
message table, and the app's --crowd-cap flag."""
import subprocess
import sys
from pathlib import Path

import pytest

from live.crowd import crowd_params
from live.crowdround import Round, rows_message
from live.directives import Context, expand_deck
from live.votes import check_options
from live.ws import Action, Reject, parse_message
from runner.params import ParamError

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = Context(root=ROOT, bench_dir=ROOT, audience_url="http://x/", params=None, qr=None)


def test_crowd_and_predict_directives_expand_to_numbered_panels():
    out = expand_deck("![:crowd workers=3, delay=2](gunicorn)\n\n![:crowd](asyncio)\n\n"
                      "![:predict](sync, threads)\n", CONTEXT)
    assert 'class="crowd-panel" data-panel="c1"' in out and 'data-panel="c2"' in out
    assert "&quot;server&quot;: &quot;asyncio&quot;" in out
    assert 'class="predict-panel" data-panel="v1"' in out


@pytest.mark.parametrize("line, reason", [
    ("![:crowd workers=99](gunicorn)", "crowd: workers must be between 1 and 32, got 99"),
    ("![:crowd n=5](gunicorn)", "crowd: a crowd round takes workers, delay and server, not n"),
    ("![:crowd](nginx)", "crowd: server must be one of gunicorn, asyncio, got 'nginx'"),
    ("![:predict](sync)", "predict: between 2 and 12 options"),
    ("![:predict](sync, sync)", "predict: options must differ"),
    ("![:predict](sync, <b>)", "predict: each option must be a short name like asyncio_session"),
])
def test_bad_directives_are_visible_errors(line, reason):
    out = expand_deck(line + "\n", CONTEXT)
    assert out.strip() == f'<div class="directive-error">{reason.replace("<", "&lt;").replace(">", "&gt;").replace(chr(39), "&#x27;")}</div>'


def test_crowd_params_come_from_the_one_table():
    assert crowd_params({"delay": "0.5"}) == {"workers": 3, "delay": 0.5, "server": "gunicorn"}
    with pytest.raises(ParamError):
        crowd_params({"delay": 31})
    assert check_options(["a", "b"]) is None
    assert check_options(["a", {"b": 1}]) is not None


def test_rows_message_keeps_each_rows_latest_state_and_no_device():
    rnd = Round(1, "c1", {"workers": 1, "delay": 1.0, "server": "gunicorn"})
    rnd.t0 = 100.0
    first, second = rnd.add("dev-a"), rnd.add("dev-b")
    rnd.answer(0, {"client_start": 100.1, "client_end": 101.2, "server_start": 100.2,
                   "server_end": 101.2, "worker": "pid 7"})
    rnd.answer(1, {"client_start": 100.1, "client_end": 100.5, "error": "timed out"})
    message = rows_message(1, [first, second, first])
    assert message["waiting"] == []
    assert message["served"] == [[0, 0.1, 1.2, 0.2, 1.2, 1]]
    assert message["failed"] == [[1, 0.1, 0.5, "timed out"]]
    assert "dev-a" not in repr(message)


@pytest.mark.parametrize("frame, role, expected", [
    ('{"type":"crowd_tap"}', "audience", Action("crowd_tap", {})),
    ('{"type":"crowd_tap","n":9}', "audience", Reject("crowd_tap: unexpected field 'n'")),
    ('{"type":"crowd_open","panel":"c1"}', "audience",
     Reject("crowd_open: only the presenter can do that")),
    ('{"type":"predict_open","panel":"v1","options":"sync"}', "presenter",
     Reject("predict_open: options must be a list")),
    ('{"type":"vote","prediction":true,"option":"sync"}', "audience",
     Reject("vote: prediction must be an integer")),
])
def test_crowd_messages_in_the_ws_table(frame, role, expected):
    assert parse_message(frame, role) == expected


def test_crowd_cap_flag_is_checked():
    done = subprocess.run([sys.executable, "app.py", "--crowd-cap", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--crowd-cap: must be between 1 and 100000, got 0" in done.stderr
