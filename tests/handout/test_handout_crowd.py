"""A crowd round and a prediction of the talk come home in the handout: drawn from disk as the
live page drew them (one bar per tap, the tally per option), with no device id in the file."""
import pytest
from playwright.sync_api import expect

from handoutkit import HERE, ROOT, embedded, export
from live.crowdstore import CrowdStore
from live.store import DATABASE_NAME, Store

DECK = HERE / "decks" / "crowd.md"
TAPS = 5
VOTES = {"phone-aaaaaaaaaaaaaaaa": "threads", "phone-bbbbbbbbbbbbbbbb": "asyncio",
         "phone-cccccccccccccccc": "asyncio"}
VISIBLE = ".remark-slides-area > .remark-visible"
PHONE = {"width": 390, "height": 844}
ARTIFACTS = ROOT / "test-artifacts"


def recorded_crowd(instance):
    """A database holding one finished round of TAPS requests on 2 workers and one closed vote,
    written as the live app writes them."""
    store = Store(instance / DATABASE_NAME)
    crowd = CrowdStore(store)
    rid = crowd.create_round("c1", {"workers": 2, "delay": 1.0, "server": "gunicorn"})
    statements = []
    for i in range(TAPS):
        device = crowd.device_key(f"phone-{i:016d}")
        start, served = 0.1 * i, 1.0 * (i // 2)   # two at a time: the rest wait
        statements += [CrowdStore.add_request(rid, i, device, start), CrowdStore.end_request(
            rid, i, {"client_start": start, "client_end": served + 1.05, "server_start": served,
                     "server_end": served + 1.0, "worker": f"pid {100 + i % 2}",
                     "worker_no": 1 + i % 2})]
    pid = crowd.create_prediction("v1", ["sync", "threads", "asyncio"])
    statements += [CrowdStore.vote(pid, crowd.device_key(d), o) for d, o in VOTES.items()]
    crowd.write(statements + [CrowdStore.round_status(rid, "done"),
                              CrowdStore.close_prediction(pid)])
    store.close()


@pytest.fixture(scope="module")
def crowd_export(tmp_path_factory):
    instance = tmp_path_factory.mktemp("crowd-instance")
    recorded_crowd(instance)
    return export(DECK, instance, tmp_path_factory.mktemp("crowd-out"), "--no-pdf")


def test_the_round_and_the_tally_are_embedded_without_devices(crowd_export):
    crowd = embedded(crowd_export)["crowd"]
    (round_,), (prediction,) = crowd["rounds"], crowd["predictions"]
    assert round_["status"] == "done" and round_["count"] == TAPS and len(round_["requests"]) == TAPS
    assert prediction["counts"] == {"sync": 0, "threads": 1, "asyncio": 2}
    text = (crowd_export / "index.html").read_text(encoding="utf-8")
    assert '"device"' not in text and "phone-" not in text


@pytest.mark.browser
def test_the_handout_draws_the_round_and_the_tally(crowd_export, open_handout):
    page = open_handout(crowd_export)
    page.keyboard.press("ArrowRight")
    panel = page.locator(f"{VISIBLE} .crowd-panel")
    expect(panel).to_have_attribute("data-status", "done")
    expect(panel.locator("[data-request]")).to_have_count(TAPS)
    expect(panel.locator(".crowd-status")).to_contain_text(f"done: {TAPS} requests")
    page.keyboard.press("ArrowRight")
    vote = page.locator(f"{VISIBLE} .predict-panel")
    expect(vote).to_have_attribute("data-status", "closed")
    expect(vote.locator(".predict-count[data-option='asyncio']")).to_have_text("2")
    assert not page.problems and not page.refused


@pytest.mark.browser
def test_the_round_reads_on_a_phone_held_upright(crowd_export, open_handout):
    page = open_handout(crowd_export, PHONE)
    page.keyboard.press("ArrowRight")
    panel = page.locator(f"{VISIBLE} .crowd-panel")
    expect(panel.locator("[data-request]")).to_have_count(TAPS)
    assert panel.bounding_box()["width"] >= 0.9 * PHONE["width"]   # the reader view's full width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handout-crowd-phone.png"))
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"{VISIBLE} .predict-count[data-option='asyncio']")).to_have_text("2")
    page.screenshot(path=str(ARTIFACTS / "handout-predict-phone.png"))
    assert not page.problems and not page.refused
