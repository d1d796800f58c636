"""The expanded deck is kept while the files it read stay as they were (a room that opens the
page at once shares one expansion), and is expanded again when one of them changes."""
import os

import pytest

import live.deck
from live import close_app, create_app


@pytest.fixture
def deck(tmp_path):
    folder = tmp_path / "decks"
    (folder / "examples").mkdir(parents=True)
    (folder / "examples" / "mine.py").write_text("print('first')\n", encoding="utf-8")
    path = folder / "mine.md"
    path.write_text("# Mine\n\n![:code](./examples/mine.py)\n\n---\n\n![:bench](later)\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def client(deck, tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "DECK": str(deck), "BENCH_DIR": str(tmp_path / "bench")})
    yield app.test_client()
    close_app(app)


def markdown(client):
    response = client.get("/deck/mine.md")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def touch_later(path, text):
    """Write `text` with an mtime that surely differs (a coarse clock must not hide the edit)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_an_unchanged_deck_is_expanded_once(client, monkeypatch):
    first = markdown(client)
    calls = []
    monkeypatch.setattr(live.deck, "expand_deck", lambda *a, **k: calls.append(a) or "x")
    assert markdown(client) == first and calls == []


def test_an_edited_code_file_shows_at_once(client, deck):
    assert "print('first')" in markdown(client)
    touch_later(deck.parent / "examples" / "mine.py", "print('second')\n")
    assert "print('second')" in markdown(client)


def test_an_edited_deck_shows_at_once(client, deck):
    markdown(client)
    touch_later(deck, deck.read_text(encoding="utf-8").replace("# Mine", "# Yours"))
    assert "# Yours" in markdown(client)


def test_a_bench_table_that_appears_later_shows(client, tmp_path):
    assert "no results yet" in markdown(client)
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "later.json").write_text(
        '{"command": "python -m bench.x", "columns": ["a"], "rows": [[1]]}', encoding="utf-8")
    assert "no results yet" not in markdown(client)
