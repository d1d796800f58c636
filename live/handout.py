"""Blueprint: the handout from the live app.

    POST /api/handout/export     presenter: `python app.py export` into instance/handout/, lists files
    GET  /handout/files/<name>   presenter: one of those files
    POST /api/handout/download   presenter: {allowed: bool}, broadcast as {type: handout, download}
    GET  /handout/download       anyone, while allowed (403 otherwise): the audience edition

The audience edition is built in this process from the live database (about 0.1 s for the full
talk) and kept until the next broadcast changes what it would show.
"""
import subprocess
import sys
import threading
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_from_directory

from live import auth
from live.export import ROOT, render_handout

bp = Blueprint("handout", __name__)
EXPORT_TIMEOUT = 180  # seconds: the PDF of the full talk takes well under a minute
exporting = threading.Lock()
cache_lock = threading.Lock()
cache = {}  # (deck, seq) -> bytes of the audience edition
OWN_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
           "img-src data:; font-src data:")


def live():
    return current_app.extensions["live"]


def fail(status, reason):
    return jsonify(error=reason), status


def allowed():
    return live().store.get_state("handout_download", False) is True


@bp.post("/api/handout/download")
def set_download():
    """Let the audience download the handout, or stop them (presenter)."""
    if not auth.is_presenter(request):
        return fail(403, "only the presenter can allow downloads")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("allowed"), bool):
        return fail(400, "expected {\"allowed\": true or false}")
    value = body["allowed"]
    live().publish_state("handout", {"download": value}, "handout_download",
                         lambda _old, _message: value, default=False)
    return jsonify(download=value)


def audience_edition():
    """The audience edition for the deck on show, rebuilt when the broadcast seq moved on."""
    app = live()
    deck = current_app.config["DECK"]
    key = (str(deck), app.store.last_seq())
    with cache_lock:
        if key not in cache:
            cache.clear()
            cache[key] = render_handout(deck, app.store, notes=False,
                                        bench_dir=current_app.config["BENCH_DIR"],
                                        workers=current_app.config["WORKERS"]).encode("utf-8")
        return cache[key]


@bp.get("/handout/download")
def download():
    """The audience edition as one HTML file, once the presenter allows it."""
    if not allowed():
        return Response("the presenter has not allowed downloading the handout yet\n", 403,
                        mimetype="text/plain")
    name = current_app.config["DECK"].stem
    response = Response(audience_edition(), mimetype="text/html")
    response.headers["Content-Security-Policy"] = OWN_CSP
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-handout.html"'
    response.headers["Cache-Control"] = "no-store"
    return response


def export_command():
    config = current_app.config
    return [sys.executable, str(ROOT / "app.py"), "export", "--deck", str(config["DECK"]),
            "--instance", current_app.instance_path, "--out", str(config["HANDOUT_DIR"])]


@bp.post("/api/handout/export")
def export():
    """Write the handout (presenter edition is `python app.py export --notes`) and list it."""
    if not auth.is_presenter(request):
        return fail(403, "only the presenter can export the handout")
    if not exporting.acquire(blocking=False):
        return fail(409, "an export is already going")
    try:
        done = subprocess.run(export_command(), cwd=ROOT, capture_output=True, text=True,
                              timeout=EXPORT_TIMEOUT, stdin=subprocess.DEVNULL)  # blocking
    except subprocess.TimeoutExpired:
        return fail(500, f"the export took more than {EXPORT_TIMEOUT} s")
    finally:
        exporting.release()
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        return fail(500, lines[-1][:300])
    folder = current_app.config["HANDOUT_DIR"]
    files = sorted(str(path.relative_to(folder)) for path in Path(folder).rglob("*")
                   if path.is_file())
    return jsonify(files=files, log=done.stdout.strip().splitlines())


@bp.get("/handout/files/<path:name>")
def files(name):
    """A file the Export button wrote (presenter)."""
    if not auth.is_presenter(request):
        abort(403, "only the presenter can open the exported files")
    response = send_from_directory(current_app.config["HANDOUT_DIR"], name, as_attachment=False)
    # The handout runs its own inline scripts (its <meta> CSP allows them by hash only).
    response.headers["Content-Security-Policy"] = OWN_CSP
    return response
