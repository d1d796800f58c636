"""The command line: what it prints, what it refuses, and --deck with any file."""
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from live.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_banner_names_presenter_audience_qr_and_serving_on(live_app):
    out = "".join(live_app.output)
    port = live_app.url.rsplit(":", 1)[1]
    saved = live_app.instance / "presenter-url.txt"
    assert f"Presenter: open the link in {saved} (kept private: only you can read it)" in out
    assert re.search(rf"^Audience: http://127\.0\.0\.1:{port}/$", out, re.M)
    assert re.search(r"^Slow server: gunicorn -w 3 \(sync\) at http://127\.0\.0\.1:\d+/$", out,
                     re.M)
    assert "▄" in out or "█" in out  # the QR code
    serving = [line for line in live_app.output if line.startswith("Serving on ")]
    assert serving[0] == f"Serving on http://127.0.0.1:{port}\n"


def test_the_token_is_in_a_private_file_not_on_the_screen(live_app):
    """The terminal with the QR code may be on the projector: the token is not on it."""
    assert live_app.token not in "".join(live_app.output)
    saved = live_app.instance / "presenter-url.txt"
    assert saved.read_text() == live_app.presenter_url + "\n"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


def test_show_token_prints_the_presenter_url(app_factory):
    app = app_factory("--show-token")
    assert f"Presenter (keep it secret): {app.presenter_url}\n" in app.output


def damage(instance, how):
    """Damage the database in `instance` the way `how` says; returns its path."""
    path = instance / "concurrency-live.sqlite3"
    if how == "directory":
        path.mkdir()
        return path
    if how == "bad params":
        store = Store(path)
        store.create_run("sync", "p1", {"n": 1})
        store.write([("UPDATE runs SET params = ?", ("{not json",))])
        store.close()
        return path
    path.write_bytes({"text": b"not a database, just notes\n" * 100,
                      "header": b"\x00" * 100 + os.urandom(4096)}[how])
    return path


def snapshot(path):
    return "dir" if path.is_dir() else path.read_bytes()


@pytest.mark.parametrize("how", ["text", "header", "directory", "bad params"])
def test_a_damaged_database_stops_the_start_with_one_line_and_is_kept(tmp_path, how):
    path = damage(tmp_path, how)
    before = snapshot(path)
    done = subprocess.run([sys.executable, "app.py", "--port", "0", "--instance", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"the database {path} is damaged" in lines[0] and "move it aside" in lines[0]
    assert snapshot(path) == before  # never silently replaced


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
