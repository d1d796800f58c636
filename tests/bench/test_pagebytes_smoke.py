"""bench/pagebytes.py against the real app: its figures come from real loads (a fresh phone,
then a reload that asks for the page, the deck and /api/demos only)."""
import re

import requests

from bench.pagebytes import FIRST_GOAL, RELOAD_GOAL, chromium_load, gzip_client_load, table


def deck_of(app):
    return re.search(r'data-deck="([^"]+)"', requests.get(app.url + "/", timeout=10).text)[1]


def test_pagebytes_counts_a_first_load_and_a_reload(chromium, devices, live_app):
    first, reload = chromium_load(chromium, devices["iPhone 13"], live_app.url + "/")
    assert 50_000 < first.total <= FIRST_GOAL   # remark alone is 172 KB in brotli
    assert first.requests >= 4 and first.ws > 0
    assert reload.requests == 3 and reload.total <= RELOAD_GOAL   # page, deck, /api/demos
    plain = gzip_client_load(live_app.url, deck_of(live_app))
    assert plain[0].total > first.total   # gzip is larger than brotli
    assert plain[1].requests == 3
    assert "| Chromium, iPhone 13 (brotli) | first load |" in table([(first, reload)], [plain], 1, "d")
