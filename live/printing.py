"""The handout's PDF: headless Chromium (Debian's, through Playwright) prints index.html from disk
with every request refused, one page per slide (remark's print mode renders every slide), after
every panel is drawn in its final state."""
import os
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
VIEWPORT = {"width": 1280, "height": 720}
WAIT_MS = 60_000
# The panels' own beforeprint hook rebuilds them (bars then arrive a frame later, too late for
# a PDF): unhook it, draw every panel once, and wait until each is drawn to the end of its run.
DRAW_ALL = """() => {
  window.removeEventListener('beforeprint', CL.panel.renderAll);
  window.removeEventListener('afterprint', CL.panel.renderVisible);
  window.removeEventListener('beforeprint', CL.compare.renderAll);
  CL.panel.renderAll();
  CL.compare.renderAll();
}"""


def refuse(route):
    route.abort()


def print_pdf(index, target, wait_ms=WAIT_MS):
    """Print `index` (a handout) to `target`; returns the number of pages."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.route("http://**/*", refuse)
            page.route("https://**/*", refuse)
            page.goto(Path(index).resolve().as_uri())
            page.wait_for_selector("body[data-ready='true']", state="attached", timeout=wait_ms)
            page.evaluate(DRAW_ALL)
            page.wait_for_function("() => CL.panel.settled()", timeout=wait_ms)
            pdf = page.pdf(path=str(target), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    return count_pages(pdf)


def count_pages(pdf):
    from io import BytesIO

    from pypdf import PdfReader
    return len(PdfReader(BytesIO(pdf)).pages)
