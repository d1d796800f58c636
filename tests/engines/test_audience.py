"""Right in every engine (issue 8): the audience page in WebKit and in Firefox loads, follows
the presenter's slide changes, shows a run's bars and reconnects after the server drops it."""
import pytest

pytestmark = pytest.mark.browser

SLIDES = ".remark-slides-area > .remark-slide-container"
VISIBLE = ".remark-slides-area > .remark-visible"
READY = "document.body.dataset.ready === 'true' && document.body.dataset.conn === 'open'"
THREADS = 1        # the deck's slide with a 5-request threads panel
EFFECTIVE = """(() => { const el = document.querySelector('%s');
  return parseFloat(getComputedStyle(el).fontSize) * el.getBoundingClientRect().width / el.offsetWidth; })()"""


def showing(index):
    return (f"document.querySelectorAll('{SLIDES}')[{index}] && "
            f"document.querySelectorAll('{SLIDES}')[{index}].classList.contains('remark-visible')")


def test_loads_the_audience_page(engine, engine_app):
    engine.wait(READY, 30)
    engine.watch_errors()
    assert engine.evaluate("document.body.dataset.role") == "audience"
    assert engine.evaluate(f"document.querySelectorAll('{SLIDES}').length") >= 4
    assert engine.evaluate("document.body.dataset.follow") == "following"
    upright = engine.evaluate("innerWidth < innerHeight")
    assert engine.evaluate("document.body.dataset.view") == ("reader" if upright else "slide")
    if upright:   # the reader view in this engine: real phone-sized text
        assert engine.evaluate(EFFECTIVE % f"{VISIBLE} .remark-slide-content p") >= 14
    hosts = engine.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert set(hosts) <= {engine_app.url.split("//")[1]}, hosts


def test_follows_three_slide_changes(engine, presenter):
    for index in [2, 3, 0]:
        presenter.go(index)
        engine.wait(showing(index))
    assert engine.evaluate("document.body.dataset.follow") == "following"


def test_shows_a_runs_bars(engine, presenter):
    presenter.go(THREADS)
    engine.wait(showing(THREADS))
    presenter.panel().locator(".panel-run").click()
    panel = f"document.querySelector('{VISIBLE} .demo-panel[data-demo=threads]')"
    engine.wait(f"{panel}.dataset.status === 'done'", 60)
    engine.wait(f"{panel}.querySelectorAll('[data-request]').length === 5")
    widths = engine.evaluate(
        f"Array.from({panel}.querySelectorAll('.tl-bar')).map(b => b.getBoundingClientRect().width)")
    assert len(widths) == 5 and min(widths) > 10, widths
    assert engine.evaluate(f"{panel}.querySelector('.panel-total').textContent").startswith("total ")


def test_reconnects_after_the_server_drops_it(engine, presenter, engine_app):
    port = engine_app.url.rsplit(":", 1)[1]
    engine_app.args = [*engine_app.args, "--port", port]   # back on the same address
    engine_app.stop()
    engine.wait("document.body.dataset.conn !== 'open'")
    engine_app.start()
    engine.wait(READY, 60)
    presenter.wait_ready()
    presenter.go(3)
    engine.wait(showing(3))
    presenter.go(THREADS)   # the finished run is still on its panel after the restart
    engine.wait(showing(THREADS))
    engine.wait(f"document.querySelectorAll('{VISIBLE} [data-request]').length === 5")


def test_nothing_failed(engine, engine_app):
    """No console error nor uncaught exception, but for the failed reconnection attempts while the
    server was down (Firefox reports each as an error event of the WebSocket)."""
    down = f"establish a connection to the server at {engine_app.ws_url}"
    assert [problem for problem in engine.problems if down not in problem] == []
