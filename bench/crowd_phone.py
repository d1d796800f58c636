"""One phone for bench/crowd.py: headless Chromium (Debian's), 390x844, touch, its CPU slowed
4x through the DevTools protocol (a phone, not this machine's core), following the presenter.

    python -m bench.crowd_phone URL    (prints "ready <slide>"; stdin "tap <epoch>", "stop")

At the agreed moment it taps Send like the other devices, then records every animation frame
for 3 s while the round's rows are drawn, and when its own outlined row (.tl-mine) appeared.
At "stop" it prints one JSON line: frame gaps (ms), frames over 50 ms, the tap -> own row time.
"""
import json
import sys

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
CROWD_SLIDE = """() => Array.from(
  document.querySelectorAll('.remark-slides-area > .remark-slide-container'))
  .findIndex((node) => node.querySelector('.crowd-panel'))"""
RECORD = """(at) => new Promise((resolve) => {
  const gaps = [];
  let last = null, tapped = null, mine = null;
  function frame(now) {
    if (last !== null) gaps.push(now - last);
    last = now;
    if (tapped !== null && mine === null && document.querySelector('.remark-visible .tl-mine')) mine = Date.now() - tapped;
    if (tapped !== null && Date.now() - tapped > 3000) return resolve({gaps, mine});
    requestAnimationFrame(frame);
  }
  setTimeout(() => {
    tapped = Date.now();
    const button = document.querySelector('.crowd-dock .crowd-send');
    if (button && !button.hidden) button.click();
    requestAnimationFrame(frame);
  }, Math.max(0, at * 1000 - Date.now()));
})"""


def main(url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready='true'][data-conn='open']", state="attached")
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        print("ready", page.evaluate(CROWD_SLIDE), flush=True)
        result = None
        for line in sys.stdin:
            words = line.split()
            if words and words[0] == "tap":
                page.wait_for_selector(".crowd-dock:not([hidden]) .crowd-send:not([hidden])", timeout=30_000)
                result = page.evaluate(RECORD, float(words[1]))
            elif words and words[0] == "stop":
                break
        browser.close()
    gaps = sorted((result or {}).get("gaps", []))
    print(json.dumps({"frames": len(gaps), "worst_gap": gaps[-1] if gaps else None,
                      "p95_gap": gaps[int(0.95 * (len(gaps) - 1))] if gaps else None,
                      "over_50ms": sum(g > 50 for g in gaps),
                      "mine_ms": (result or {}).get("mine")}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
