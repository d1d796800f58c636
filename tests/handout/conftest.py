"""Fixtures for the handout tests: a talk recorded on a real app, and its exports.

    recorded           an app (root `app_factory`) on decks/handout.md whose first three panels
                       were pressed as the Run button does: .app, .deck, .runs (each run as
                       GET /api/runs/<id> returns it), .database
    audience_export    `python app.py export` of it (with the PDF): the output folder
    presenter_export   `python app.py export --notes --no-pdf`: the output folder
    handout_page       open_handout(folder, viewport) -> a page on folder/index.html from disk,
                       every http/https request refused and recorded in page.refused
"""
from types import SimpleNamespace

import pytest
import requests

from handoutkit import DECK, PRESSED, export
from harness.panels import demo_panels, press


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
