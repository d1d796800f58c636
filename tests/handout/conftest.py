"""Fixtures for the handout tests: a talk recorded on a real app, and its exports.

    recorded           an app (root `app_factory`) on decks/handout.md whose first three panels
                       were pressed as the Run button does: .app, .deck, .runs (each run as
                       GET /api/runs/<id> returns it), .database
    audience_export    `python app.py export` of it (with the PDF): the output folder
    presenter_export   `python app.py export --notes --no-pdf`: the output folder
    handout_page       open_handout(folder, viewport) -> a page on folder/index.html from disk,
                       every http/https request refused and recorded in page.refused
"""
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from harness.panels import demo_panels, press

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DECK = HERE / "decks" / "handout.md"
PRESSED = 3  # the fourth panel stays unrun: the handout must say so
EMBEDDED = re.compile(r'<script type="application/json" id="cl-offline">(.*?)</script>', re.S)


def export(deck, instance, out, *flags):
    done = subprocess.run([sys.executable, "app.py", "export", "--deck", str(deck),
                           "--instance", str(instance), "--out", str(out), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return out


def embedded(folder):
    """The data the handout carries."""
    text = (Path(folder) / "index.html").read_text(encoding="utf-8")
    return json.loads(EMBEDDED.search(text).group(1))


@pytest.fixture(scope="module")
def recorded(module_app_factory):
    app = module_app_factory("--deck", str(DECK))
    runs = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {app.token}"
        for panel, demo, params in demo_panels(app, DECK)[:PRESSED]:
            ended = press(app, session, panel, demo, params)
            runs.append(session.get(f"{app.url}/api/runs/{ended['id']}", timeout=10).json())
    return SimpleNamespace(app=app, deck=DECK, runs=runs,
                           database=app.instance / "concurrency-live.sqlite3")


@pytest.fixture(scope="module")
def audience_export(recorded, tmp_path_factory):
    return export(DECK, recorded.app.instance, tmp_path_factory.mktemp("audience"))


@pytest.fixture(scope="module")
def presenter_export(recorded, tmp_path_factory):
    return export(DECK, recorded.app.instance, tmp_path_factory.mktemp("presenter"),
                  "--notes", "--no-pdf")


@pytest.fixture
def open_handout(chromium):
    contexts = []

    def open_one(folder, viewport=None):
        context = chromium.new_context(viewport=viewport or {"width": 1280, "height": 720})
        contexts.append(context)
        page = context.new_page()
        page.refused, page.problems = [], []
        def refuse(route):
            page.refused.append(route.request.url)
            route.abort()
        context.route("http://**/*", refuse)
        context.route("https://**/*", refuse)
        page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
        page.on("pageerror", lambda exc: page.problems.append(str(exc)))
        page.goto((Path(folder) / "index.html").as_uri())
        page.wait_for_selector("body[data-ready='true']", state="attached")
        return page

    yield open_one
    for context in contexts:
        context.close()
