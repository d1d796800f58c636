"""The presenter's secret, in-process: the cookie expires and rotates with the token, wrong tokens
are rate limited per address, and state-changing requests from another origin are refused."""
import time

import pytest

from live import auth

# The root `auth` fixture is named `login` here: `auth` is the module under test.
BEARER = {"Authorization": "Bearer test-presenter-token-4f2a"}


def presenter_page(client, **kwargs):
    return client.get("/presenter", **kwargs).status_code


def test_the_cookie_expires(client, login):
    cookie = login.login().headers["Set-Cookie"]
    assert f"Max-Age={auth.COOKIE_HOURS * 3600}" in cookie
    assert presenter_page(client) == 200


def test_an_old_cookie_is_refused(app, client):
    with app.test_request_context():
        old = auth.cookie_value(int(time.time()) - auth.COOKIE_HOURS * 3600 - 1)
        fresh = auth.cookie_value()
    client.set_cookie(auth.COOKIE, old)
    assert presenter_page(client) == 403
    client.set_cookie(auth.COOKIE, fresh)
    assert presenter_page(client) == 200


def test_a_new_token_invalidates_every_cookie(app, client, login):
    login.login()
    assert presenter_page(client) == 200
    app.config["PRESENTER_TOKEN"] = "another-token-for-the-next-talk"
    assert presenter_page(client) == 403


@pytest.mark.parametrize("value", ["", "1", ".", "x.y", "9" * 40 + ".abc", "-5.abc",
                                   "١٢٣.abc", "test-presenter-token-4f2a"])
def test_forged_cookies_are_refused(client, value):
    client.set_cookie(auth.COOKIE, value)
    assert presenter_page(client) == 403


def test_wrong_tokens_are_rate_limited_per_address(client, login):
    for _ in range(auth.GUESSES):
        assert login.login("wrong-token-0000").status_code == 403
    limited = login.login()  # even the right token, from this address, for a minute
    assert limited.status_code == 429 and "too many wrong presenter tokens" in limited.text
    other = client.get(f"/presenter?token={login.token}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 303


def test_wrong_bearer_tokens_count_as_guesses(client):
    for _ in range(auth.GUESSES):
        response = client.post("/api/runs/active/cancel",
                               headers={"Authorization": "Bearer wrong-token-0000"})
        assert response.status_code == 403
    response = client.post("/api/runs/active/cancel", headers=BEARER)
    assert response.status_code == 429 and "wait a minute" in response.json["error"]


def test_the_guess_window_forgets():
    now = [0.0]
    guesses = auth.Guesses(limit=2, window=60, clock=lambda: now[0])
    guesses.note_wrong("a")
    guesses.note_wrong("a")
    assert not guesses.allowed("a") and guesses.allowed("b")
    now[0] = 61
    assert guesses.allowed("a")


@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1:8099"},           # another port of this host: same-site
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://localhost", "Sec-Fetch-Site": "same-site"},
])
@pytest.mark.parametrize("path", ["/api/runs/active/cancel", "/api/runs"])
def test_state_changes_from_another_origin_are_refused(client, login, headers, path):
    login.login()
    response = client.post(path, json={"demo": "sync"}, headers=headers)
    assert response.status_code == 403
    assert "cross-site request refused" in response.json["error"]
    assert client.get("/api/runs").json == []


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://localhost"},
                                     {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}])
def test_the_apps_own_pages_and_other_clients_may(client, login, headers):
    login.login()
    response = client.post("/api/runs/active/cancel", headers=headers)
    assert response.status_code == 409  # through the check: there is just no run to cancel


@pytest.fixture
def login(request):
    return request.getfixturevalue("auth")
