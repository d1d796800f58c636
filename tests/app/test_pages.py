"""Pages, deck markdown and headers of the real app: roles, notes, directives, traversal, CSP."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CSP = ("default-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "style-src 'self' 'unsafe-inline'; script-src 'self'")
NOTE = "Starter deck for trying the app"  # a speaker note of slides/starter.md


@pytest.fixture(scope="module")
def deck_url(live_app):
    return f"{live_app.url}/deck/starter.md"


def test_audience_page(live_app, http):
    response = http.get(live_app.url + "/", timeout=10)
    assert response.status_code == 200
    assert 'data-role="audience"' in response.text
    assert live_app.token not in response.text


@pytest.mark.parametrize("path", ["/", "/deck/starter.md", "/api/state", "/api/runs/0",
                                  "/vendor/remark.min.js", "/nowhere"])
def test_every_response_has_the_csp(live_app, http, path):
    response = http.get(live_app.url + path, timeout=10)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("query", ["", "?token=", "?token=wrong-token-12345"])
def test_presenter_page_needs_the_token(live_app, http, query):
    response = http.get(f"{live_app.url}/presenter{query}", allow_redirects=False, timeout=10)
    assert response.status_code == 403
    assert "presenter" not in response.cookies


def test_presenter_token_sets_a_strict_cookie(live_app, http):
    response = http.get(live_app.presenter_url, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/presenter")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert live_app.token not in cookie
    page = http.get(f"{live_app.url}/presenter", timeout=10)
    assert page.status_code == 200
    assert 'data-role="presenter"' in page.text
    assert live_app.token not in page.text


def test_bearer_token_also_opens_the_presenter_page(live_app, presenter_http):
    assert presenter_http.get(f"{live_app.url}/presenter", timeout=10).status_code == 200


def test_notes_only_for_the_presenter(deck_url, http, presenter_cookie):
    audience = http.get(deck_url, timeout=10)
    assert audience.headers["Content-Type"].startswith("text/markdown")
    assert NOTE not in audience.text and "???" not in audience.text
    presenter = http.get(deck_url, cookies=presenter_cookie, timeout=10)
    assert NOTE in presenter.text and "???" in presenter.text
    separators = lambda text: re.findall(r"^---?$", text, re.M)  # noqa: E731
    assert separators(audience.text) == separators(presenter.text)


def test_directives_are_expanded(deck_url, http):
    text = http.get(deck_url, timeout=10).text
    assert "![:" not in text
    panels = re.findall(r'<div class="demo-panel" data-demo="(\w+)" data-panel="(p\d+)" '
                        r'data-params="([^"]*)" data-set="[^"]*"></div>', text)
    assert [(demo, panel) for demo, panel, _ in panels] == [
        ("sync", "p1"), ("threads", "p2"), ("asyncio_semaphore", "p3")]
    assert "&quot;n&quot;: 9" in panels[2][2]
    assert "```python\ndef app(environ, start_response):" in text
    assert '<div class="compare-panel"></div>' in text
    assert '<a class="audience-url" href="http://127.0.0.1:' in text
    assert '<div class="audience-qr"><svg' in text


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "..%2Fapp", "%2e%2e", "nope",
                                  ".hidden", "starter%00", "..%5Cstarter", "a" * 70])
def test_deck_names_outside_slides_are_404(live_app, http, name):
    assert http.get(f"{live_app.url}/deck/{name}.md", timeout=10).status_code == 404


@pytest.mark.parametrize("deck", ["../README", "..%2Fslides%2Fstarter", "nope", "/etc/passwd"])
def test_pages_refuse_unknown_decks(live_app, http, deck):
    assert http.get(f"{live_app.url}/?deck={deck}", timeout=10).status_code == 404


def test_remark_comes_from_node_modules(live_app, http):
    response = http.get(f"{live_app.url}/vendor/remark.min.js", timeout=10)
    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    assert response.content == (ROOT / "node_modules/remark-slide/out/remark.min.js").read_bytes()
