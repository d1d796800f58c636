"""The command line: what it prints, what it refuses, and --deck with any file."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def test_banner_names_presenter_audience_qr_and_serving_on(live_app):
    out = "".join(live_app.output)
    port = live_app.url.rsplit(":", 1)[1]
    assert f"Presenter (keep it secret): http://127.0.0.1:{port}/presenter?token={live_app.token}" \
        in out
    assert re.search(rf"^Audience: http://127\.0\.0\.1:{port}/$", out, re.M)
    assert re.search(r"^Slow server: gunicorn -w 3 \(sync\) at http://127\.0\.0\.1:\d+/$", out,
                     re.M)
    assert "▄" in out or "█" in out  # the QR code
    serving = [line for line in live_app.output if line.startswith("Serving on ")]
    assert serving[0] == f"Serving on http://127.0.0.1:{port}\n"


@pytest.mark.parametrize("args, words", [
    (["--port", "70000"], "--port: must be between 0 and 65535"),
    (["--workers", "0"], "--workers: must be between 1 and 32"),
    (["--presenter-token", "short"], "--presenter-token: 8 to 128 characters"),
    (["--deck", "no/such/deck.md"], "--deck: no deck file"),
    (["--host", "300.1.1.1", "--port", "0"], "cannot listen on 300.1.1.1:0"),
])
def test_bad_flags_exit_with_one_line(args, words):
    done = subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode in (1, 2)
    assert words in done.stderr.strip().splitlines()[-1]


def test_any_deck_file_from_the_command_line(app_factory, tmp_path):
    deck = tmp_path / "mine.md"
    deck.write_text("# Mine\n\n![:demo n=2](sync)\n\n???\nmy notes\n")
    app = app_factory("--deck", str(deck))
    with requests.Session() as http:
        page = http.get(app.url + "/", timeout=10)
        assert 'data-deck-url="/deck/mine.md"' in page.text
        text = http.get(f"{app.url}/deck/mine.md", timeout=10).text
        assert text.startswith("# Mine") and 'data-demo="sync"' in text
        assert "my notes" not in text
        assert http.get(f"{app.url}/deck/starter.md", timeout=10).status_code == 200
        assert http.get(f"{app.url}/deck/..%2Fmine.md", timeout=10).status_code == 404
