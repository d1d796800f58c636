"""Bytes on the wire for one phone: `python -m bench.pagebytes [--deck FILE] [--samples 3]`.

Starts the real app on loopback and counts what one phone receives, encoded as sent (status
line, headers and body; WebSocket frames apart), first with an empty cache and then on a reload:

- chromium: Debian's headless Chromium as Playwright's "iPhone 13"; bytes as the DevTools
  protocol counts them off the network (headers + encoded body, nothing for a cache hit) and the
  WebSocket frames the page receives.
  Chromium offers brotli to loopback (a "secure" origin).
- gzip client: a raw HTTP client that does what a browser does on plain http:// at a venue, where
  browsers offer only `gzip, deflate`: the page, every script and stylesheet it names, the deck
  and /api/demos; on reload the page and the deck with If-None-Match (the hashed assets are
  `immutable`, so a browser does not ask for them) and /api/demos again.

Prints a table; goals (issue 8): first load <= 230 KB, reload <= 30 KB (KB = 1,000 bytes).
"""
import argparse
import gzip
import re
import statistics
import sys
from pathlib import Path

import urllib3
from bench.audience_app import AppServer
from harness import headless  # the tests' Chromium and its flags: one place

FIRST_GOAL, RELOAD_GOAL = 230_000, 30_000
ASSET = re.compile(r'(?:src|href)="(/assets/[^"]+)"')
READY = "body[data-ready='true'][data-conn='open']"
PLAIN_HTTP = "gzip, deflate"


class Tally:
    """Bytes received, by kind."""

    def __init__(self):
        self.http = 0
        self.ws = 0
        self.requests = 0

    def add_response(self, headers_size, body_size):
        self.requests += 1
        self.http += max(headers_size, 0) + max(body_size, 0)

    @property
    def total(self):
        return self.http + self.ws


def chromium_load(browser, device, url):
    """(first load Tally, reload Tally) of one fresh phone context in Chromium, counted by the
    DevTools protocol: encodedDataLength is what came off the network (0 from the cache)."""
    options = {key: value for key, value in device.items() if key != "default_browser_type"}
    with headless.fresh_context(browser, **options) as context:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        tally = [Tally()]
        cdp.on("Network.loadingFinished", lambda event: count_loaded(tally[0], event))
        cdp.on("Network.webSocketFrameReceived", lambda event: count_frame(tally[0], event))
        cdp.send("Network.enable")
        page.goto(url)
        settle(page)
        first, tally[0] = tally[0], Tally()
        page.reload()
        settle(page)
        return first, tally[0]


def settle(page):
    page.wait_for_selector(READY, state="attached")
    page.wait_for_load_state("networkidle")


def count_loaded(tally, event):
    if event["encodedDataLength"] > 0:   # 0: taken from the cache, nothing on the wire
        tally.add_response(0, event["encodedDataLength"])


def count_frame(tally, event):
    payload = event["response"]["payloadData"]
    tally.ws += len(payload.encode()) + 4  # + the frame's header (2-4 bytes from the server)


def raw_get(pool, tally, path, headers):
    """GET path, count it as received, return (status, headers, decoded body)."""
    response = pool.request("GET", path, headers={"Accept-Encoding": PLAIN_HTTP, **headers},
                            preload_content=False, decode_content=False, redirect=False)
    raw = response.read(decode_content=False)
    head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + 2 + sum(
        len(name) + len(value) + 4 for name, value in response.headers.items())
    tally.add_response(head, len(raw))
    body = raw
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(raw)
    response.release_conn()
    return response.status, response.headers, body


def gzip_client_load(url, deck):
    """(first load Tally, reload Tally) of a plain-http browser, fetching as a browser does."""
    with urllib3.PoolManager(maxsize=6) as manager:
        pool = manager.connection_from_url(url)
        first, etags = Tally(), {}
        status, headers, body = raw_get(pool, first, "/", {})
        assert status == 200, status
        etags["/"] = headers.get("ETag")
        for asset in ASSET.findall(body.decode()):
            assert raw_get(pool, first, asset, {})[0] == 200, asset
        status, headers, _ = raw_get(pool, first, f"/deck/{deck}.md", {})
        etags["deck"] = headers.get("ETag")
        raw_get(pool, first, "/api/demos", {})
        reload = Tally()
        raw_get(pool, reload, "/", {"If-None-Match": etags["/"] or ""})
        raw_get(pool, reload, f"/deck/{deck}.md", {"If-None-Match": etags["deck"] or ""})
        raw_get(pool, reload, "/api/demos", {})
        return first, reload


def verdict(value, goal):
    return "met" if value <= goal else "**missed**"


def kb(value):
    return f"{value / 1000:.1f}"


def rows_for(name, loads, counts_ws):
    """Table rows of one client: the median of each figure over the samples."""
    rows = []
    for label, index, goal in (("first load", 0, FIRST_GOAL), ("reload", 1, RELOAD_GOAL)):
        tallies = [load[index] for load in loads]
        http = statistics.median(t.http for t in tallies)
        ws = statistics.median(t.ws for t in tallies)
        requests = statistics.median(t.requests for t in tallies)
        total = http + ws
        ws_text = kb(ws) if counts_ws else "not read"
        rows.append(f"| {name} | {label} | {requests:.0f} | {kb(http)} | {ws_text} | {kb(total)} | "
                    f"≤ {goal // 1000} KB: {verdict(total, goal)} |")
    return rows


def table(chromium, plain, samples, deck):
    lines = [f"Bytes on the wire for one phone, deck {deck}, median of {samples} (KB = 1,000 bytes)",
             "", "| client | load | HTTP responses | HTTP KB | WebSocket KB | total KB | goal |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += rows_for("Chromium, iPhone 13 (brotli)", chromium, True)
    lines += rows_for("plain http:// client (gzip)", plain, False)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.pagebytes", description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=3, help="loads per client (1-20)")
    parser.add_argument("--deck", default="slides/talk.md", help="the deck to serve")
    args = parser.parse_args(argv)
    if not 1 <= args.samples <= 20:
        parser.error("--samples must be between 1 and 20")
    deck = Path(args.deck).stem
    with AppServer(["--deck", args.deck]) as app:
        with headless.chromium() as (playwright, browser):
            device = playwright.devices["iPhone 13"]
            chromium = [chromium_load(browser, device, app.url + "/") for _ in range(args.samples)]
        plain = [gzip_client_load(app.url, deck) for _ in range(args.samples)]
    print(table(chromium, plain, args.samples, args.deck))
    worst = max(max(load[0].total for load in chromium + plain) - FIRST_GOAL,
                max(load[1].total for load in chromium + plain) - RELOAD_GOAL)
    return 0 if worst <= 0 else 1


if __name__ == "__main__":
    sys.exit(main())
