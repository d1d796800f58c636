"""Effective text sizes on a phone held upright: `python -m bench.phonesizes [--deck FILE]`.

Starts the real app on loopback with tests/browser/decks/reader.md (a text slide, a code slide,
a 5-request demo), runs the demo from the presenter's page, and measures on Playwright's "iPhone
13" and "Pixel 7" descriptors in Debian's Chromium, in the reader view and in the slide view, the
smallest *effective* size of body text, code and timeline labels: computed font size times the
element's on-screen scale. Prints a table; goals (issue 8): >= 14 / >= 12 / >= 11 CSS px.
"""
import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.audience_app import TOKEN, AppServer

ROOT = Path(__file__).resolve().parent.parent
from harness.headless import launch  # the tests' Chromium flags: one place

DECK = ROOT / "tests" / "browser" / "decks" / "reader.md"
READY = "body[data-ready='true'][data-conn='open']"
VISIBLE = ".remark-slides-area > .remark-visible"
EFFECTIVE = """selector => Math.min(...Array.from(document.querySelectorAll(selector))
  .filter(el => el.offsetWidth > 0)
  .map(el => parseFloat(getComputedStyle(el).fontSize) * el.getBoundingClientRect().width / el.offsetWidth))"""
MEASURES = [("body text", 1, ".remark-slide-content p", 14), ("code", 2, ".remark-code-line", 12),
            ("timeline labels", 3, ".tl-label, .tl-tick", 11)]
PHONES = ["iPhone 13", "Pixel 7"]


def goto(page, index):
    page.evaluate("n => CL.deck.slideshow().gotoSlide(n + 1)", index)


def measure(browser, playwright, url, phone, view):
    device = {k: v for k, v in playwright.devices[phone].items() if k != "default_browser_type"}
    context = browser.new_context(**device)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(READY, state="attached")
        if page.evaluate("() => document.body.dataset.view") != view:
            page.locator(".cl-view-btn").click()
        sizes = {}
        for name, index, selector, _goal in MEASURES:
            page.keyboard.press("f")   # follow: the presenter is on the slide
            page.evaluate("n => CL.deck.slideshow().gotoSlide(n + 1)", index)
            page.wait_for_function(f"() => document.querySelector('{VISIBLE} {selector.split(',')[0]}')")
            sizes[name] = page.evaluate(EFFECTIVE, ", ".join(f"{VISIBLE} {part.strip()}"
                                                               for part in selector.split(",")))
        return sizes
    finally:
        context.close()


def run_demo(browser, url):
    page = browser.new_page()
    page.goto(f"{url}/presenter?token={TOKEN}")
    page.wait_for_selector(READY, state="attached")
    goto(page, 3)
    page.locator(f"{VISIBLE} .panel-run").click()
    page.wait_for_selector(f"{VISIBLE} .demo-panel[data-status='done']", timeout=60_000)
    return page


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.phonesizes", description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    with AppServer(["--deck", str(DECK)]) as app, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            run_demo(browser, app.url)
            rows = [(phone, view, measure(browser, playwright, app.url + "/", phone, view))
                    for phone in PHONES for view in ("reader", "slide")]
        finally:
            browser.close()
    lines = ["Smallest effective size on screen (CSS px), phone upright", "",
             "| phone | view | " + " | ".join(f"{name} (goal ≥ {goal})" for name, _i, _s, goal in MEASURES) + " |",
             "| --- | --- |" + " --- |" * len(MEASURES)]
    met = True
    for phone, view, sizes in rows:
        cells = []
        for name, _index, _selector, goal in MEASURES:
            ok = sizes[name] >= goal
            met = met and (ok or view == "slide")
            cells.append(f"{sizes[name]:.1f} {'met' if ok else '**missed**'}")
        lines.append(f"| {phone} | {view} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
