"""How every test (and test-side script) starts Chromium: Debian's build, headless, offline.

    launch(playwright)              the browser, with the flags below
    with chromium() as (playwright, browser):   Playwright and one browser, closed at the end
    with fresh_context(browser, **options) as context:   an empty profile (no cache, no
                                    cookies), as a phone opening the link; closed at the end
"""
import os
from contextlib import contextmanager

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling hosts this machine cannot reach.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def chromium():
    """(playwright, browser): playwright for its device descriptors, the browser launched."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield playwright, browser
        finally:
            browser.close()


@contextmanager
def fresh_context(browser, **options):
    """A new browser context (Playwright's new_context options), closed however the block ends."""
    context = browser.new_context(**options)
    try:
        yield context
    finally:
        context.close()
