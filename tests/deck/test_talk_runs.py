"""Presenting the talk end to end: every demo panel of slides/talk.md, pressed in order on a real
app, ends the way its slide says (the Japanese edition places the same panels, checked by
test_deck_parse). The browser side of a press is covered by tests/browser."""
import time

import pytest
import requests

from runner.catalog import DEMOS
from decks import read_deck
from slidesource import split_slides

FINAL = {"done", "failed", "timeout", "cancelled"}
SLACK = 30.0  # on top of a run's own time limit: a deadline, not a measurement


def talk_panels():
    """(demo id, raw params) of every demo directive of the talk, in order."""
    found = []
    for slide in split_slides(read_deck("talk")):
        for directive in slide.directives():
            if directive.name == "demo":
                params = dict(arg.split("=", 1) for arg in directive.args)
                found.append((directive.value, {k.strip(): v.strip() for k, v in params.items()}))
    return found


def promised(params):
    """What the slide promises: the timeout lesson times out, a `fail` panel fails."""
    if "timeout" in params:
        return "timeout"
    return "failed" if int(params.get("fail", 0)) else "done"


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


PANELS = talk_panels()


def test_the_talk_places_panels():
    assert len(PANELS) >= 12


@pytest.mark.parametrize("ordinal", range(len(PANELS)),
                         ids=[f"{demo}-{i}" for i, (demo, _) in enumerate(PANELS)])
def test_every_panel_runs_as_its_slide_says(talk_app, presenter, ordinal):
    demo, params = PANELS[ordinal]
    run = press(talk_app, presenter, demo, params, f"p{ordinal}")
    assert run["status"] == promised(params), run
    if run["status"] == "done":
        assert len(run["spans"]) == run["params"]["n"] and not run["errors"]
        if DEMOS[demo].kind != "cpu":  # a CPU ideal is a calibrated estimate, not a floor
            assert run["total"] >= 0.9 * run["ideal"]  # nothing beats the slow server
    else:
        assert run["errors"], run
