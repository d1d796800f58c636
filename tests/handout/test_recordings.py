"""Which recording a replay picks (live/replay.py), and the rehearsal's database is read-only."""
import sqlite3

import pytest

from live.replay import Recordings, open_database
from live.store import Store


def finish(store, demo, panel, params, status="done"):
    run_id = store.create_run(demo, panel, params)
    seq = store.last_seq() + 1
    store.save_events([{"type": "span", "run": run_id, "seq": seq, "i": 0, "client_start": 0.0,
                        "client_end": 0.5},
                       {"type": "run_end", "run": run_id, "seq": seq + 1, "status": status,
                        "total": 0.5, "ideal": 0.5}])
    return run_id


@pytest.fixture
def stores(tmp_path):
    app, rehearsal = Store(tmp_path / "app.sqlite3"), Store(tmp_path / "rehearsal.sqlite3")
    yield app, rehearsal, tmp_path / "rehearsal.sqlite3"
    app.close()
    rehearsal.close()


def test_same_panel_first_then_same_params_then_the_demo(stores):
    app, rehearsal, path = stores
    other_panel = finish(rehearsal, "threads", "p9", {"n": 3})
    same_params = finish(rehearsal, "threads", "p8", {"n": 5})
    finish(rehearsal, "threads", "p1", {"n": 5}, status="failed")  # never a failed one
    recordings = Recordings(app, path)
    try:
        assert recordings.find("threads", "p1", {"n": 5}) == \
            ("rehearsal", rehearsal.runs()[same_params - 1])
        assert recordings.find("threads", "p1", {"n": 7})[1]["id"] == same_params  # newest
        same_panel = finish(rehearsal, "threads", "p1", {"n": 4})
        assert recordings.find("threads", "p1", {"n": 5})[1]["id"] == same_panel
        assert recordings.find("asyncio", "p1", {}) is None
        own = finish(app, "asyncio", "p2", {})
        assert recordings.find("asyncio", "p1", {}) == ("app", app.runs()[own - 1])
        assert recordings.run("rehearsal", other_panel) == rehearsal.run(other_panel)
        assert recordings.run("nowhere", other_panel) is None
    finally:
        recordings.close()


def test_a_rehearsal_database_is_opened_read_only(stores, tmp_path):
    _app, rehearsal, path = stores
    finish(rehearsal, "threads", "p1", {})
    reader = open_database(path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.write([("DELETE FROM runs", ())])
        assert len(reader.runs()) == 1
    finally:
        reader.close()
    (tmp_path / "junk.sqlite3").write_bytes(b"junk" * 100)
    for bad in (tmp_path / "junk.sqlite3", tmp_path / "missing.sqlite3"):
        with pytest.raises(ValueError, match="not a concurrency-live database"):
            open_database(bad)
