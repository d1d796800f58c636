"""Recorded runs, and replaying one on a panel when a live run cannot happen.

Recordings come from the app's own database and, with `--replay-from FILE`, from a rehearsal's
database opened read-only. A replay is broadcast to every viewer as {type: replay, panel, ...}
and kept in the app state (one per panel), so a phone that joins later shows it too; a later
live run of that panel (a higher run id than `after_run`) takes the panel back.
"""
import sqlite3
import threading
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

from runner.catalog import DEMOS

from live import auth
from live.api import PANEL
from live.store import Store

bp = Blueprint("replay", __name__, url_prefix="/api")
SOURCES = ("rehearsal", "app")  # looked at in this order: --replay-from wins when it is given


class ReadOnlyStore(Store):
    """Another app's database (a rehearsal), read-only: runs() and run() as the live store has."""

    def __init__(self, path):
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no database {path}")
        self.lock = threading.Lock()
        self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                  check_same_thread=False)
        self.db.execute("SELECT count(*) FROM runs")  # a clear error now if it is not ours

    def tables(self):
        return {name for name, in self.read("SELECT name FROM sqlite_master WHERE type='table'")}


def open_database(path):
    """ReadOnlyStore(path), with a one-line reason as ValueError when it is not a runs database."""
    try:
        return ReadOnlyStore(path)
    except (sqlite3.DatabaseError, FileNotFoundError) as exc:
        raise ValueError(f"{path}: not a concurrency-live database ({exc})") from None


class Recordings:
    """Where recorded runs come from: 'rehearsal' (--replay-from) and 'app' (this app's runs)."""

    def __init__(self, store, rehearsal=None):
        self.stores = {"app": store}
        if rehearsal:
            self.stores["rehearsal"] = open_database(rehearsal)

    def find(self, demo, panel, params):
        """(source, summary) of the best recording for a panel: a finished run of the same panel
        and demo, else of the demo with the same parameters, else of the demo; newest first."""
        for source in SOURCES:
            store = self.stores.get(source)
            if store is None:
                continue
            done = [run for run in store.runs() if run["demo"] == demo and run["status"] == "done"]
            for keep in (lambda r: r["panel"] == panel, lambda r: r["params"] == params,
                         lambda r: True):
                matching = [run for run in done if keep(run)]
                if matching:
                    return source, matching[-1]
        return None

    def run(self, source, run_id):
        store = self.stores.get(source)
        return None if store is None else store.run(run_id)

    def close(self):
        rehearsal = self.stores.pop("rehearsal", None)
        if rehearsal is not None:
            rehearsal.close()


def replays(store):
    """{panel: replay} of the replays in the app state."""
    return store.get_state("replays", {})


def live():
    return current_app.extensions["live"]


def fail(status, reason):
    return jsonify(error=reason), status


@bp.post("/replays")
def start_replay():
    """Replay a recorded run on a panel (presenter): {demo, panel, params?}; 404 if none."""
    if not auth.is_presenter(request):
        return fail(403, "only the presenter can replay a run")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return fail(400, "the body must be a JSON object")
    demo, panel, params = body.get("demo"), body.get("panel"), body.get("params") or {}
    if not isinstance(demo, str) or not isinstance(panel, str) or not PANEL.fullmatch(panel) \
            or not isinstance(params, dict):
        return fail(400, "expected {demo, panel, params?} with a panel like p7")
    if demo not in DEMOS:
        return fail(404, f"no demo {demo[:40]!r}")
    app = live()
    found = app.recordings.find(demo, panel, params)
    if found is None:
        return fail(404, f"no recorded run of {demo} to replay")
    source, summary = found
    runs = app.store.runs()
    replay = {"panel": panel, "demo": demo, "source": source, "run": summary["id"],
              "recorded_at": summary["started_at"],
              "after_run": max((run["id"] for run in runs), default=0)}
    message = app.publish_state("replay", replay, "replays",
                                lambda state, m: {**state, panel: {**replay, "started_at": m["at"]}},
                                default={})
    return jsonify(message), 202


@bp.get("/recorded/<source>/<int:run_id>")
def recorded(source, run_id):
    """A recorded run in the shape of GET /api/runs/<id>."""
    if source not in SOURCES:
        return fail(404, f"no source {source}")
    found = live().recordings.run(source, run_id)
    if found is None:
        return fail(404, f"no recorded run {source}/{run_id}")
    return jsonify(found)
