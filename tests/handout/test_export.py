"""`python app.py export`: what index.html carries (runs exactly as the database has them, no
speaker notes in the audience edition, nothing to fetch) and what the command refuses."""
import html
import re
import json
import subprocess
import sys

from handoutkit import DECK, PRESSED, ROOT, embedded, export

SECRETS = ["handout-secret-note-31", "handout-secret-note-32"]


def test_runs_round_trip_from_the_database_exactly(recorded, audience_export):
    data = embedded(audience_export)
    assert len(recorded.runs) == PRESSED
    assert data["runs"] == recorded.runs  # every field, every span, as GET /api/runs/<id>
    assert {run["status"] for run in data["runs"]} == {"done", "failed"}
    assert data["crowd"] == {"rounds": [], "predictions": []}  # none held here


def test_audience_edition_holds_no_speaker_notes(audience_export, presenter_export):
    audience = (audience_export / "index.html").read_text(encoding="utf-8")
    presenter = (presenter_export / "index.html").read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in audience
        assert secret in presenter
    assert embedded(audience_export)["edition"] == "audience"
    assert embedded(presenter_export)["edition"] == "presenter"


def test_the_page_names_nothing_to_fetch(audience_export):
    text = (audience_export / "index.html").read_text(encoding="utf-8")
    outside_scripts = re.sub(r"<script\b.*?</script>", "", text, flags=re.S)
    assert not re.search(r"<(link|img|iframe)\b(?![^>]*\bhref=\"data:)[^>]*\b(src|href)=", outside_scripts)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
    assert html.unescape(csp).startswith("default-src 'none';")
    assert "<script src" not in text and "audience-qr" in text  # the QR became a note


def test_pdf_and_a_trace_file_per_run(audience_export):
    assert (audience_export / "handout.pdf").stat().st_size > 10_000
    runs = embedded(audience_export)["runs"]
    traces = sorted((audience_export / "traces").glob("run-*.json"))
    assert [p.name for p in traces] == sorted(f"run-{run['id']}.json" for run in runs)
    for path, run in zip(traces, sorted(runs, key=lambda run: f"run-{run['id']}.json")):
        events = json.loads(path.read_text(encoding="utf-8"))["traceEvents"]
        requests = [e for e in events if e["ph"] == "X" and e.get("cat") == "request"]
        timed = [e for e in run["errors"] if None not in (e.get("client_start"), e.get("client_end"))]
        assert len(requests) == len(run["spans"]) + len(timed)  # untimed errors are instants


def test_export_refuses_with_one_line(tmp_path):
    done = subprocess.run([sys.executable, "app.py", "export", "--deck", str(DECK),
                           "--instance", str(tmp_path / "none"), "--no-pdf"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "not a concurrency-live database" in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "none" / "handout" / "index.html").exists()
    bad = tmp_path / "bad.sqlite3"
    bad.write_text("not sqlite")
    done = subprocess.run([sys.executable, "app.py", "--port", "0", "--replay-from", str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "--replay-from" in done.stderr.strip().splitlines()[-1]


def test_latest_keeps_only_the_last_run_of_each_panel(tmp_path):
    from live.store import Store
    from test_recordings import finish
    store = Store(tmp_path / "concurrency-live.sqlite3")
    try:
        ids = [finish(store, "threads", "p1", {"n": 1}), finish(store, "threads", "p1", {"n": 2}),
               finish(store, "thread_pool", "p2", {"n": 3})]
    finally:
        store.close()
    every = export(DECK, tmp_path, tmp_path / "every", "--no-pdf")
    latest = export(DECK, tmp_path, tmp_path / "latest", "--no-pdf", "--latest")
    assert [run["id"] for run in embedded(every)["runs"]] == ids
    assert [run["id"] for run in embedded(latest)["runs"]] == ids[1:]
