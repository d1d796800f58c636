"""The handout of the full talk: press every demo panel of a deck on a real app, then export it.

    python -m bench.handout [--deck slides/talk.md] [--panels N] [--out DIR] [--no-pdf] [--repeat K]
                            [--instance DIR [--reuse]]

Starts `python app.py` on a fresh instance, presses the panels in order (as the Run button does:
POST /api/runs with the panel's id), waits for each run to end, stops the app and times
`python app.py export` (K times). Then opens index.html from disk in headless Chromium with
every http/https request refused and times navigation start -> the first slide shown (p50 of
5 fresh pages). Prints a table; the goals: index.html <= 2 MB, first slide <= 1 s, export <= 30 s.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from harness.app_process import AppProcess
from harness.panels import demo_panels, press

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-handout-token-7f3e"


def record(deck, instance, limit=None):
    """Press the deck's panels on a fresh app in `instance`; returns the runs."""
    app = AppProcess(["--deck", str(deck)], instance, TOKEN).start()
    runs = []
    try:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            for panel, demo, params in demo_panels(app, deck)[:limit]:
                runs.append(press(app, session, panel, demo, params))
    finally:
        app.stop()
    return runs


def export(deck, instance, out, pdf):
    """Time one `python app.py export`."""
    command = [sys.executable, "app.py", "export", "--deck", str(deck), "--instance",
               str(instance), "--out", str(out)] + ([] if pdf else ["--no-pdf"])
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(done.stderr)
    return elapsed, done.stdout


FIRST_SLIDE = """() => new Promise(resolve => {
  const check = () => document.querySelector('.remark-slides-area .remark-visible')
    && document.body.dataset.ready === 'true'
    ? resolve(performance.now()) : requestAnimationFrame(check);
  check();
})"""


def open_times(index, count=5):
    """ms from navigation start to the first slide shown, in fresh pages, network refused."""
    from playwright.sync_api import sync_playwright

    from harness.headless import launch
    times = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for _ in range(count):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.route("http://**/*", lambda route: route.abort())
            context.route("https://**/*", lambda route: route.abort())
            page = context.new_page()
            page.goto(index.resolve().as_uri(), wait_until="commit")
            times.append(page.evaluate(FIRST_SLIDE))
            context.close()
        browser.close()
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deck", default=str(ROOT / "slides" / "talk.md"))
    parser.add_argument("--panels", type=int, help="press only the first N panels")
    parser.add_argument("--out", help="where to write the handout (default: a temporary folder)")
    parser.add_argument("--no-pdf", dest="pdf", action="store_false")
    parser.add_argument("--repeat", type=int, default=1, help="exports to time")
    parser.add_argument("--instance", help="keep the recorded database here (default: temporary)")
    parser.add_argument("--reuse", action="store_true",
                        help="do not press: export the runs already in --instance")
    args = parser.parse_args(argv)
    deck = Path(args.deck).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-handout-") as scratch:
        instance = Path(args.instance).resolve() if args.instance else Path(scratch) / "instance"
        out = Path(args.out).resolve() if args.out else Path(scratch) / "handout"
        started = time.perf_counter()
        if args.reuse:
            from live.replay import open_database
            from live.store import DATABASE_NAME
            reader = open_database(instance / DATABASE_NAME)
            runs = [reader.run(summary["id"]) for summary in reader.runs()]
            reader.close()
        else:
            runs = record(deck, instance, args.panels)
        pressing = time.perf_counter() - started
        exports = [export(deck, instance, out, args.pdf) for _ in range(args.repeat)]
        index = out / "index.html"
        opened = open_times(index)
        spans = sum(len(run["spans"]) for run in runs)
        print(f"| panels run | spans | pressing (s) | index.html (MB) | export{' + PDF' if args.pdf else ''}"
              " (s) | first slide from disk p50 / max (ms) |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        print(f"| {len(runs)} | {spans} | {pressing:.0f} | {index.stat().st_size / 1e6:.2f} | "
              f"{' / '.join(f'{e:.1f}' for e, _ in exports)} | "
              f"{statistics.median(opened):.0f} / {max(opened):.0f} |")
        print(exports[-1][1].strip())


if __name__ == "__main__":
    main()
