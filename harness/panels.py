"""The demo panels a running app serves, and pressing one as its Run button does.

    demo_panels(app, deck)   [(panel id, demo id, params)] in slide order, read from the deck
                             the app serves (directives expanded), so the ids are the app's own
    press(app, session, panel, demo, params)   POST /api/runs, wait for the run's end
"""
import html
import json
import re
import time
from pathlib import Path

import requests

PANEL = re.compile(r'<div class="demo-panel" data-demo="([^"]+)" data-panel="(p\d+)" '
                   r'data-params="([^"]*)"')
SLACK = 60.0  # seconds past a run's own timeout before we give up on it


def demo_panels(app, deck):
    """(panel, demo, params) of every demo panel of `deck` as the app at `app.url` serves it."""
    url = f"{app.url}/deck/{Path(deck).stem}.md"
    text = requests.get(url, timeout=30).text
    return [(panel, demo, json.loads(html.unescape(params)))
            for demo, panel, params in PANEL.findall(text)]


def press(app, session, panel, demo, params):
    """POST a run as the panel's Run button does, wait for its end; returns the run."""
    response = session.post(f"{app.url}/api/runs", json={"demo": demo, "panel": panel, **params},
                            timeout=10)
    response.raise_for_status()
    run_id = response.json()["id"]
    give_up = time.monotonic() + float(params.get("timeout", 60)) + SLACK
    while time.monotonic() < give_up:
        run = session.get(f"{app.url}/api/runs/{run_id}", timeout=10).json()
        if run["status"] != "running":
            return run
        time.sleep(0.1)  # polling a condition with a deadline
    raise RuntimeError(f"run {run_id} of {demo} did not end")
