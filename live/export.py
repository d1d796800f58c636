"""The handout: the deck as one self-contained HTML file with every recorded run embedded.

    python app.py export [--deck FILE] [--instance DIR] [--out DIR] [--notes] [--no-pdf]

writes DIR/index.html (opens from file:// or any static host, asks no host: remark, our CSS and
JS and the deck's markdown are inlined, runs are JSON in the page), DIR/<deck>.pdf (one page
per slide, every panel in its final state; live/printing.py) and DIR/traces/ where the runner
can write trace files. The audience edition has no speaker notes; --notes keeps them.
"""
import base64
import hashlib
import json
import sys
import time
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from runner import tracefile
from runner.catalog import DEMOS, validate

from live.assets import BUNDLES, CSS, REMARK_JS
from live.directives import Context, expand_deck
from live.replay import open_database
from live.crowdround import Round
from live.crowdstore import CrowdStore
from live.store import DATABASE_NAME
from live.votes import Prediction

ROOT = Path(__file__).resolve().parent.parent


def stem(path):
    """"js/socket.js" -> "socket"."""
    return Path(path).stem


#: our scripts in the handout: the live page's bundle (live/assets.py), offline.js after socket.js
SCRIPTS = [name for path in BUNDLES["js/all.js"]
           for name in ([stem(path), "offline"] if stem(path) == "socket" else [stem(path)])]
CROWD_TABLES = ("crowd_rounds", "crowd_requests", "predictions", "votes")  # live/crowdstore.py
HANDOUT_URL = "index.html"  # stands in for the audience URL: the handout names no host


class ExportError(Exception):
    """Something the export cannot do, said in one line."""


def page_assets(root=ROOT, remark=REMARK_JS):
    """The page's assets, in order, as (kind, path): the one list to point at hashed assets."""
    return [("style", root / "static" / name) for name in CSS] + [("script", Path(remark))] + \
        [("script", root / "static" / "js" / f"{name}.js") for name in SCRIPTS]


def inline_script(text):
    """Script text safe inside <script>: HTML's tokenizer must never see `</script`, `<script`
    or `<!--` (remark has them in strings and regexes, where \\x3C means the same `<`)."""
    for needle in ("<!--", "</script", "<script"):
        text = text.replace(needle, "\\x3C" + needle[1:])
        text = text.replace(needle.upper(), "\\x3C" + needle[1:].upper())
    return text


def inline_json(data):
    """JSON for a <script type="application/json">: no `<` at all (only strings can hold one)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def default_params(workers):
    def params(demo_id, raw):
        return validate(demo_id, raw if raw.get("workers") is not None else
                        {**raw, "workers": workers})
    return params


def deck_markdown(deck, notes, root=ROOT, bench_dir=None, workers=3):
    """The deck's markdown with directives expanded as the live app does, but naming no host:
    the audience URL becomes the handout itself and the QR code a note."""
    context = Context(root=root, bench_dir=bench_dir or root / "docs" / "bench",
                      audience_url=HANDOUT_URL, params=default_params(workers),
                      qr=lambda _url: '<p class="handout-note">(the QR code of the live talk)</p>')
    return expand_deck(Path(deck).read_text(encoding="utf-8"), context, notes=notes)


def crowd(reader):
    """The crowd rounds (each with its rows) and the predictions (each with its counts) in the
    shapes of GET /api/crowd/rounds/<id> and of crowd_hello, where this database has the crowd
    tables; {} otherwise. No device id (not even its keyed hash) leaves: a handout is for everyone."""
    tables = {name for name, in reader.read("SELECT name FROM sqlite_master WHERE type='table'")}
    if not set(CROWD_TABLES) <= tables:
        return {}
    reads = CrowdStore.reading(reader)
    rounds = []
    for rid, panel, params, status, error, _opened in reads.rounds():
        stored = Round(rid, panel, params, status, error)
        stored.load(reads.requests(rid))
        rounds.append(stored.detail())  # public rows: never the device
    predictions = [Prediction(pid, panel, options, status, votes).summary()
                   for pid, panel, options, status, votes in reads.predictions()]
    return {"rounds": rounds, "predictions": predictions}


def recorded_runs(reader, latest=False):
    """Every run in the shape of GET /api/runs/<id>, oldest first; with `latest` only the last
    run of each panel (a database that also holds rehearsals stays small)."""
    summaries = reader.runs()
    if latest:
        last = {(s["panel"] or s["demo"]): s for s in summaries}  # oldest first: the last wins
        summaries = sorted(last.values(), key=lambda s: s["id"])
    return [reader.run(summary["id"]) for summary in summaries]


def handout_data(reader, deck_name, markdown, notes, latest=False, exported_at=None):
    return {"version": 1, "deck": deck_name, "edition": "presenter" if notes else "audience",
            "exported_at": exported_at or round(time.time(), 3), "markdown": markdown,
            "demos": [demo.as_json() for demo in DEMOS.values()],
            "runs": recorded_runs(reader, latest), "crowd": crowd(reader)}


def render_handout(deck, reader, notes=False, root=ROOT, remark=REMARK_JS, bench_dir=None,
                   workers=3, latest=False):
    """index.html of the handout as text."""
    deck = Path(deck)
    markdown = deck_markdown(deck, notes, root, bench_dir, workers)
    data = handout_data(reader, deck.stem, markdown, notes, latest)
    styles, scripts = [], []
    for kind, path in page_assets(root, remark):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ExportError(f"missing {path} (run `make setup` first)") from None
        (styles if kind == "style" else scripts).append(
            text if kind == "style" else inline_script(text))
    csp = ("default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; "
           "base-uri 'none'; form-action 'none'; script-src " + " ".join(map(sha256, scripts)))
    env = Environment(loader=FileSystemLoader(str(root / "templates")), autoescape=True)
    return env.get_template("handout.html").render(
        deck=deck.stem, csp=csp, styles=styles, scripts=scripts, data=inline_json(data),
        edition=data["edition"], runs=len(data["runs"]),
        exported=time.strftime("%Y-%m-%d %H:%M", time.localtime(data["exported_at"])))


def trace_of(run):
    """A run's trace file: Chrome's Trace Event Format, as the app's trace.json download."""
    return tracefile.of_run(run)


def write_traces(reader, out, latest=False):
    """traces/run-<id>.json for each run; returns (paths, note)."""
    paths = []
    for run in recorded_runs(reader, latest):
        path = out / "traces" / f"run-{run['id']}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(tracefile.dumps(trace_of(run)), encoding="utf-8")
        paths.append(path)
    return paths, None


def export(deck, database, out, notes=False, pdf=True, latest=False, log=print):
    """Write the handout into `out`; returns the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        reader = open_database(database)
    except ValueError as exc:
        raise ExportError(f"{exc}: run the talk first (python app.py)") from None
    try:
        started = time.perf_counter()
        index = out / "index.html"
        index.write_text(render_handout(deck, reader, notes, latest=latest), encoding="utf-8")
        written = [index]
        log(f"{index} ({index.stat().st_size / 1e6:.2f} MB, "
            f"{time.perf_counter() - started:.2f} s)")
        traces, note = write_traces(reader, out, latest)
        written += traces
        if note:
            log(note)
    finally:
        reader.close()
    if pdf:
        from live.printing import print_pdf
        started = time.perf_counter()
        target = out / f"{Path(deck).stem}.pdf"
        pages = print_pdf(index, target)
        written.append(target)
        log(f"{target} ({pages} pages, {time.perf_counter() - started:.2f} s)")
    return written


def add_arguments(parser, deck_file):
    parser.add_argument("--deck", type=deck_file, help="the deck (default: the talk)")
    parser.add_argument("--instance", help="the app's instance folder (default: instance/)")
    parser.add_argument("--out", help="where to write (default: INSTANCE/handout)")
    parser.add_argument("--notes", action="store_true",
                        help="the presenter edition, with speaker notes")
    parser.add_argument("--no-pdf", dest="pdf", action="store_false", help="skip the PDF")
    parser.add_argument("--latest", action="store_true",
                        help="only the last run of each panel (default: every run)")


def main(args, default_deck):
    """`python app.py export ...`: exit status 0, or a one-line error."""
    instance = Path(args.instance or ROOT / "instance").resolve()
    out = Path(args.out).resolve() if args.out else instance / "handout"
    deck = args.deck or default_deck()
    try:
        export(deck, instance / DATABASE_NAME, out, args.notes, args.pdf, args.latest)
    except ExportError as exc:
        sys.exit(f"app.py export: error: {exc}")
    return 0

