"""Presenting each talk end to end: every demo panel of slides/talk.md and slides/talk-30.md,
pressed in order on a real app, ends the way its slide says. An edition places exactly its
original's panels (checked here and by test_deck_parse), so pressing the original presses the
Japanese edition's panels too: the API call a panel's Run button makes carries no language.
The browser side of a press is covered by tests/browser."""
import time

import pytest
import requests

from runner.catalog import DEMOS
from runner.pythons import find_free_threaded, find_python314
from decks import EDITIONS, LENGTHS, read_deck
from slidesource import split_slides

FINAL = {"done", "failed", "timeout", "cancelled"}
SLACK = 30.0  # on top of a run's own time limit: a deadline, not a measurement
PRESSED = sorted(LENGTHS)  # talk, talk-30; their editions share the panels


def panels(deck):
    """(demo id, raw params) of every demo directive of `deck`, in order."""
    found = []
    for slide in split_slides(read_deck(deck)):
        for directive in slide.directives():
            if directive.name == "demo":
                params = dict(arg.split("=", 1) for arg in directive.args)
                found.append((directive.value, {k.strip(): v.strip() for k, v in params.items()}))
    return found


def promised(demo, params):
    """What the slide promises: the run-limit lesson times out; a failing URL, a client limit
    below the server's delay, a rate limit met by an unpaced client, or a missing interpreter
    fail; everything else is done."""
    spec = DEMOS[demo]
    p = {**spec.defaults, **{k: float(v) if k not in ("server",) else v
                             for k, v in params.items()}}
    if "timeout" in params:
        return "timeout"
    if p["fail"]:
        return "failed"
    if "client_timeout" in spec.uses and p["delay"] > p["client_timeout"]:
        return "failed"
    if p["rate"] and demo != "paced":
        return "failed"
    if spec.python == "free-threaded" and find_free_threaded()[0] is None:
        return "failed"
    if spec.python == "3.14" and find_python314(find_free_threaded()) is None:
        return "failed"
    return "done"


#: What the slide says the panel shows when it fails: a fragment of one of its errors.
SHOWS = {"taskgroup": "ExceptionGroup", "gather": "HTTP 500", "asyncio_timeout": "TimeoutError",
         "thread_pool": "ReadTimeout", "asyncio_semaphore": "HTTP 429",
         "cpu_threads_ft": "no free-threaded Python here", "threads": "HTTP 500",
         "cpu_interpreters": "no Python 3.14 here"}


@pytest.fixture(scope="module")
def talk_app(module_app_factory):
    """An app of our own on the talk (the default deck): these runs are nobody else's."""
    return module_app_factory()


@pytest.fixture(scope="module")
def presenter(talk_app):
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {talk_app.token}"
        yield session


def press(app, session, demo, params, panel):
    """POST the run the panel's Run button posts; wait until it ends; return it."""
    response = session.post(f"{app.url}/api/runs", json={"demo": demo, "panel": panel, **params},
                            timeout=10)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    give_up = time.monotonic() + float(params.get("timeout", 60)) + SLACK
    while time.monotonic() < give_up:
        run = session.get(f"{app.url}/api/runs/{run_id}", timeout=10).json()
        if run["status"] in FINAL:
            return run
        time.sleep(0.1)  # polling a condition with a deadline
    pytest.fail(f"run {run_id} of {demo} {params} did not end")


CASES = [(deck, ordinal) for deck in PRESSED for ordinal in range(len(panels(deck)))]


def test_the_talks_place_panels():
    assert all(len(panels(deck)) >= 12 for deck in PRESSED)


@pytest.mark.parametrize("original, edition", EDITIONS)
def test_an_edition_places_its_originals_panels(original, edition):
    assert panels(edition) == panels(original)


@pytest.mark.parametrize("deck, ordinal", CASES,
                         ids=[f"{deck}-{i}-{panels(deck)[i][0]}" for deck, i in CASES])
def test_every_panel_runs_as_its_slide_says(talk_app, presenter, deck, ordinal):
    demo, params = panels(deck)[ordinal]
    run = press(talk_app, presenter, demo, params, f"{deck}-p{ordinal}")
    assert run["status"] == promised(demo, params), (run["status"], run["errors"])
    if run["status"] == "done":
        assert len(run["spans"]) == run["params"]["n"] and not run["errors"]
        if DEMOS[demo].kind != "cpu":  # a CPU ideal is a calibrated estimate, not a floor
            assert run["total"] >= 0.9 * run["ideal"]  # nothing beats the slow server
        assert all(span.get("status") in (None, 200) for span in run["spans"])
    else:
        assert run["errors"], run
        if run["status"] == "failed":
            messages = " | ".join(error["message"] for error in run["errors"])
            assert SHOWS[demo] in messages, messages
    if demo == "paced":
        assert not any(error.get("status") == 429 for error in run["errors"])
