"""The slow servers (gunicorn and aiohttp) and the serve.py helpers."""
import http.client
import subprocess
from urllib.parse import urlsplit

import pytest

from runner.serve import start_gunicorn
from demos.slow_server import MAX_DELAY, read_query


def get(url, query):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/?" + query)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


@pytest.fixture(params=["gunicorn", "asyncio"])
def any_server(request):
    return request.getfixturevalue("slow_server" if request.param == "gunicorn" else "async_server")


def test_answers_after_the_delay_with_the_server_side_of_the_trace(any_server):
    status, headers, body = get(any_server.url, "delay=0.1")
    assert (status, body) == (200, "This is a slow web api")
    assert headers["X-Worker"].startswith("pid ")
    start, end = float(headers["X-Server-Start"]), float(headers["X-Server-End"])
    assert 0.1 <= end - start < 1.0


@pytest.mark.parametrize("query, reason", [
    ("delay=abc", "delay must be a number"),
    ("delay=nan", "delay must be finite"),
    ("status=999", "status must be an HTTP status"),
])
def test_a_bad_query_gets_400_with_the_reason(any_server, query, reason):
    status, _, body = get(any_server.url, query)
    assert status == 400 and reason in body


def test_status_asks_for_an_error(any_server):
    assert get(any_server.url, "delay=0&status=500")[0] == 500


@pytest.mark.parametrize("query, delay", [("delay=-3", 0.0), ("delay=99", MAX_DELAY), ("", 1.0)])
def test_delay_is_clamped(query, delay):
    assert read_query(query)[0] == delay


def test_gunicorn_stops_cleanly_and_leaves_no_worker():
    server = start_gunicorn(workers=2)
    assert server.alive() and get(server.url, "delay=0")[0] == 200
    server.stop()
    assert not server.alive()
    group = subprocess.run(["pgrep", "-g", str(server.process.pid)], capture_output=True)
    assert group.stdout == b""


def test_two_gunicorns_run_side_by_side(slow_server):
    with start_gunicorn(workers=1) as other:
        assert other.url != slow_server.url
        assert get(other.url, "delay=0")[0] == get(slow_server.url, "delay=0")[0] == 200


@pytest.mark.parametrize("module", ["server_sequential", "server_threaded", "server_pool"])
def test_socket_servers_answer_like_the_slow_server(module):
    from runner.serve import start_socket_server
    with start_socket_server(f"demos.{module}", workers=2) as server:
        status, headers, body = get(server.url, "delay=0.1")
        assert (status, body) == (200, "This is a slow web api")
        assert float(headers["X-Server-End"]) - float(headers["X-Server-Start"]) >= 0.1
        assert get(server.url, "delay=x")[0] == 400
