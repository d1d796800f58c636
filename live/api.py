"""Blueprint: the JSON API. Errors are {"error": "one line"}: 400 bad input, 403 not the
presenter, 404 unknown demo or run, 409 a run already going (or none to cancel)."""
import re

from flask import Blueprint, Response, current_app, jsonify, request

from runner import tracefile
from runner.catalog import DEMOS
from runner.params import ParamError, UnknownDemo
from runner.pythons import unavailable

from live import auth
from live.runcache import FORMATS
from live.runs import Busy, NotRunning

bp = Blueprint("api", __name__, url_prefix="/api")
PANEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_ID = 2 ** 63 - 1  # SQLite's largest INTEGER: no run has a bigger id


def live():
    return current_app.extensions["live"]


def fail(status, reason):
    return jsonify(error=reason), status


@bp.before_request
def refuse_cross_site():
    """A page of another site, or of another port of this host (same-site for the cookie), may
    not start or cancel runs with the presenter's cookie."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and auth.cross_site(request):
        return fail(403, "cross-site request refused: Origin or Sec-Fetch-Site is not this app")
    return None


@bp.get("/demos")
def demos():
    """Every demo: id, title, summary, kind, defaults, module (and the parameters it uses), and
    `missing`: why this app cannot run it (an interpreter it needs is not here), or null."""
    found = live().runs.pythons
    return jsonify([{**demo.as_json(), "missing": unavailable(demo.python, found.get(demo.python))}
                    for demo in DEMOS.values()])


@bp.post("/runs")
def start_run():
    """Start a run (presenter): {demo, panel?, n, workers, delay, concurrency, fail?, server?}."""
    if not auth.is_presenter(request):
        return fail(403, "only the presenter can start a run")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # "[[[[..." nested deeper than the parser goes
        body = None
    if not isinstance(body, dict):
        return fail(400, "the body must be a JSON object")
    params = dict(body)
    demo_id, panel = params.pop("demo", None), params.pop("panel", None)
    if panel is not None and not (isinstance(panel, str) and PANEL.fullmatch(panel)):
        return fail(400, "panel must be a short name like p7")
    try:
        run_id = live().runs.start(demo_id, panel, params)
    except UnknownDemo as exc:
        return fail(404, str(exc))
    except ParamError as exc:
        return fail(400, str(exc))
    except Busy as exc:
        return fail(409, str(exc))
    return jsonify(id=run_id), 202


@bp.post("/runs/active/cancel")
def cancel_run():
    """Cancel the run that is going (presenter)."""
    if not auth.is_presenter(request):
        return fail(403, "only the presenter can cancel a run")
    try:
        run_id = live().runs.cancel()
    except NotRunning as exc:
        return fail(409, str(exc))
    return jsonify(id=run_id)


@bp.get("/runs")
def runs():
    """Summaries of every run so far, oldest first."""
    return jsonify(live().store.runs())


@bp.get("/runs/<int:run_id>")
def run(run_id):
    """One run: summary, spans, errors and the seq of its last event; ?format=compact gives the
    same in the wire's compact form. A finished run is served from the cache, compressed once
    (brotli or gzip, as the client accepts), with an ETag."""
    form = request.args.get("format", "json")
    if form not in FORMATS:
        return fail(400, f"format must be one of {', '.join(FORMATS)}")
    entry = live().cache.get(run_id, form)
    if entry is None:
        return fail(404, f"no run {run_id}")
    return cached(entry)


def cached(entry):
    """The entry's bytes in the best coding the client accepts (or 304 if it has them)."""
    pacer = live().cache.pacer
    if request.if_none_match.contains_raw(entry.etag):
        pacer.charge(request.remote_addr)  # blocking: a 304 costs a turn too (no body to pace)
        response = Response(status=304)
    else:
        accepted = request.accept_encodings
        coding = next((c for c in ("br", "gzip") if accepted[c] > 0), "identity")
        body = entry.body(coding)
        response = Response(pacer.paced(body, request.remote_addr),
                            mimetype="application/json",
                            direct_passthrough=True)
        response.content_length = len(body)
        if coding != "identity":
            response.headers["Content-Encoding"] = coding
    response.headers["ETag"] = entry.etag
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/runs/<int:run_id>/trace.json")
def run_trace(run_id):
    """One run in Chrome's Trace Event Format, as a download (docs/TRACING.md)."""
    found = live().store.run(run_id)
    if found is None:
        return fail(404, f"no run {run_id}")
    trace = tracefile.of_run(found)
    response = current_app.response_class(tracefile.dumps(trace), mimetype="application/json")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="run-{run_id}-{found["demo"]}.trace.json"'
    return response


@bp.get("/state")
def state():
    """The current slide, the last broadcast seq and the active run (id or null)."""
    return jsonify(live().state())
