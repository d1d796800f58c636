"""What drawing 1,000 bars costs in the page: the real timeline.js, fed made-up spans in batches,
timed with style and layout forced after each batch. A measurement, not a test:

    python -m bench.timeline_cost http://127.0.0.1:5000 PRESENTER_TOKEN [1,10,250]

prints, per batch size, the median and worst cost of one batch and the total for 1,000 bars.
"""
import statistics
import sys

from playwright.sync_api import sync_playwright

from harness.headless import launch

PROJECTOR = {"width": 1280, "height": 720}  # the presenter's screen, as in tests/browser

FEED = """(batch) => {
  const host = document.querySelector('.remark-visible .remark-slide-content');
  const box = host.appendChild(document.createElement('div'));
  box.className = 'demo-panel';
  const view = CL.timeline.create(box);
  const run = {id: -1, params: {n: 1000, delay: 0.5}, status: 'running', spans: new Map(), order: [],
               errors: [], maxEnd: 0, seenAt: performance.now()};
  const costs = [];
  for (let first = 0; first < 1000; first += batch) {
    for (let i = first; i < first + batch; i += 1) {
      const start = i * 0.0005, served = start + 0.2 * (i % 7) / 7;
      run.spans.set(i, {i, client_start: start, client_end: served + 0.501, server_start: served,
                        server_end: served + 0.5, worker: 'pid ' + (i % 3), actor: 'Task-' + i});
      run.order.push(i);
      run.maxEnd = Math.max(run.maxEnd, served + 0.501);
    }
    const begin = performance.now();
    while (view.sync(run, performance.now()) && view.placed < run.order.length) { /* drain */ }
    box.offsetHeight;   // style and layout now, inside the timing
    costs.push(performance.now() - begin);
  }
  box.remove();
  return costs;
}"""


def measure(url, token, batches):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(viewport=PROJECTOR).new_page()
        page.goto(f"{url}/presenter?token={token}")
        page.wait_for_selector("body[data-ready='true']", state="attached")
        print("| bars per batch | median per batch (ms) | worst (ms) | 1,000 bars (ms) |")
        print("| ---: | ---: | ---: | ---: |")
        for batch in batches:
            page.evaluate(FEED, batch)  # warm up
            costs = page.evaluate(FEED, batch)
            print(f"| {batch} | {statistics.median(costs):.2f} | {max(costs):.1f} | {sum(costs):.0f} |")
        browser.close()


if __name__ == "__main__":
    sizes = [int(size) for size in sys.argv[3].split(",")] if len(sys.argv) > 3 else [1, 10, 250]
    measure(sys.argv[1], sys.argv[2], sizes)
