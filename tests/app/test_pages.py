"""Pages, deck markdown and headers, in-process (create_app + test_client): roles, notes,
directives, traversal, CSP."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CSP = ("default-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "style-src 'self' 'unsafe-inline'; script-src 'self'")
NOTE = "Starter deck for trying the app"  # a speaker note of slides/starter.md
DECK = "/deck/starter.md"


def test_audience_page(client, app):
    response = client.get("/")
    assert response.status_code == 200
    assert 'data-role="audience"' in response.text
    assert app.config["PRESENTER_TOKEN"] not in response.text


@pytest.mark.parametrize("path", ["/", DECK, "/api/state", "/api/runs/0",
                                  "/vendor/remark.min.js", "/nowhere"])
def test_every_response_has_the_csp(client, path):
    with client.get(path) as response:  # closes the file a static response streams
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("query", ["", "?token=", "?token=wrong-token-12345"])
def test_presenter_page_needs_the_token(client, query):
    response = client.get(f"/presenter{query}")
    assert response.status_code == 403
    assert client.get_cookie("presenter") is None


def test_presenter_token_sets_a_strict_cookie(client, auth):
    response = auth.login()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/presenter")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert auth.token not in cookie
    page = client.get("/presenter")
    assert page.status_code == 200
    assert 'data-role="presenter"' in page.text
    assert auth.token not in page.text
    auth.logout()
    assert client.get("/presenter").status_code == 403


def test_bearer_token_also_opens_the_presenter_page(client, auth):
    headers = {"Authorization": f"Bearer {auth.token}"}
    assert client.get("/presenter", headers=headers).status_code == 200


def test_notes_only_for_the_presenter(client, auth):
    audience = client.get(DECK)
    assert audience.headers["Content-Type"].startswith("text/markdown")
    assert NOTE not in audience.text and "???" not in audience.text
    auth.login()
    presenter = client.get(DECK)
    assert NOTE in presenter.text and "???" in presenter.text
    separators = lambda text: re.findall(r"^---?$", text, re.M)  # noqa: E731
    assert separators(audience.text) == separators(presenter.text)


def test_directives_are_expanded(client):
    text = client.get(DECK).text
    assert "![:" not in text
    panels = re.findall(r'<div class="demo-panel" data-demo="(\w+)" data-panel="(p\d+)" '
                        r'data-params="([^"]*)" data-set="[^"]*"></div>', text)
    assert [(demo, panel) for demo, panel, _ in panels] == [
        ("sync", "p1"), ("threads", "p2"), ("asyncio_semaphore", "p3")]
    assert "&quot;n&quot;: 9" in panels[2][2]
    assert "```python\ndef app(environ, start_response):" in text
    assert '<div class="compare-panel"></div>' in text
    assert '<a class="audience-url" href="http://127.0.0.1:5000/"' in text
    assert '<div class="audience-qr"><svg' in text


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "..%2Fapp", "%2e%2e", "nope",
                                  ".hidden", "starter%00", "..%5Cstarter", "a" * 70])
def test_deck_names_outside_slides_are_404(client, name):
    assert client.get(f"/deck/{name}.md").status_code == 404


@pytest.mark.parametrize("deck", ["../README", "..%2Fslides%2Fstarter", "nope", "/etc/passwd"])
def test_pages_refuse_unknown_decks(client, deck):
    assert client.get(f"/?deck={deck}").status_code == 404


def test_remark_is_the_one_make_built_from_node_modules(client):
    with client.get("/vendor/remark.min.js") as moved:   # the old address leads to the hashed one
        assert moved.status_code == 302 and "/assets/vendor/remark.min." in moved.location
    with client.get(moved.location) as response:
        assert response.status_code == 200
        assert "javascript" in response.headers["Content-Type"]
        assert response.data == (ROOT / "build/remark.min.js").read_bytes()
        assert b'version:"0.14.0"' in response.data and b"window.remark=" in response.data


def test_the_built_remark_is_current(tmp_path):
    """build/remark.min.js is what scripts/remark/build.mjs makes of today's sources."""
    fresh = tmp_path / "remark.min.js"
    subprocess.run(["node", str(ROOT / "scripts/remark/build.mjs"), str(fresh)], check=True, timeout=60)
    assert fresh.read_bytes() == (ROOT / "build/remark.min.js").read_bytes(), "run `make setup`"


def test_docs_name_every_highlighted_language():
    """docs/DECKS.md's list is the LANGUAGES of scripts/remark/highlighter.js, in order."""
    source = (ROOT / "scripts/remark/highlighter.js").read_text(encoding="utf-8")
    table = source.split("var LANGUAGES = {", 1)[1].split("};", 1)[0]
    languages = re.findall(r"^\s*'?([\w-]+)'?:", table, flags=re.M)
    docs = " ".join((ROOT / "docs/DECKS.md").read_text(encoding="utf-8").split())
    listed = docs.split("where one is added): ", 1)[1].split(" (and their aliases", 1)[0]
    assert listed == ", ".join(languages)
