"""Code on the slides is highlighted by the remark make builds (scripts/remark/): highlight.js's
core with the languages of a Python talk. Python and shell are coloured, a `*` line is still
marked, and a language the build leaves out is shown as plain text, not as an error."""
import pytest

from browsing import HERE, PROJECTOR, Viewer

pytestmark = pytest.mark.browser
DECK = HERE / "decks" / "highlight.md"


@pytest.fixture(scope="module")
def page(chromium, module_app_factory):
    app = module_app_factory("--deck", str(DECK))
    viewer = Viewer(chromium, app.url, "highlight", PROJECTOR).open("/")
    yield viewer.page
    viewer.close()
    assert not viewer.problems and not viewer.foreign, (viewer.problems, viewer.foreign)


def blocks(page):
    """Per code block on the slides: its language class, its hljs spans' classes, its text."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        '.remark-slides-area .remark-code')).map(code => ({
          classes: code.className,
          spans: Array.from(code.querySelectorAll('[class^=hljs-]')).map(s => s.className),
          marked: code.querySelectorAll('.remark-code-line-highlighted').length,
          text: code.textContent}))""")


def test_python_from_a_demo_file_is_coloured(page):
    source = next(block for block in blocks(page) if "concurrent" in block["text"]
                  or "Thread" in block["text"])
    assert "python" in source["classes"] and "hljs" in source["classes"]
    assert {"hljs-keyword", "hljs-string"} <= set(source["spans"])


def test_shell_is_coloured_and_a_starred_line_is_marked(page):
    shell, python = [b for b in blocks(page) if "a comment" in b["text"] or "fetch(url)" in b["text"]]
    assert "hljs-comment" in shell["spans"]
    assert python["marked"] == 1 and "*" not in python["text"]


def test_a_language_the_build_leaves_out_is_plain_text(page):
    rust = next(block for block in blocks(page) if "no rust" in block["text"])
    assert rust["spans"] == [] and "println!" in rust["text"]


def test_the_theme_is_githubs(page):
    colour = page.evaluate("""() => getComputedStyle(document.querySelector(
        '.remark-slides-area .remark-code .hljs-keyword')).color""")
    assert colour == "rgb(215, 58, 73)"   # GitHub's keyword red, #d73a49
