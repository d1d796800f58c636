"""No 500 from outside: whatever an unauthenticated client sends (routes, methods, headers,
bodies), the answer is a 2xx/3xx or a 4xx with a one-line reason. HTTP in-process (Flask's
TESTING mode re-raises what would have been a 500, so a crash fails the test loudly); the
WebSocket upgrade against the real app."""
import socket
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PATHS = ["/", "/presenter", "/deck/{x}.md", "/deck/{x}", "/vendor/remark.min.js", "/api/demos",
         "/api/runs", "/api/runs/{x}", "/api/runs/active/cancel", "/api/state", "/api/{x}",
         "/static/{x}", "/static/js/{x}", "/{x}", "/ws"]
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
SEGMENT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40) | \
    st.sampled_from(["..", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "9" * 30, "-1", "0", "1_0", "٣",
                     "talk", "starter", "a" * 300, "%00", "\\x00", "active"])
HEADER_VALUE = st.text(alphabet=string.printable.strip() + " ", max_size=60)
HEADERS = st.dictionaries(st.sampled_from([
    "Content-Type", "Cookie", "Authorization", "Origin", "Sec-Fetch-Site", "Accept",
    "Accept-Encoding", "If-None-Match", "Range", "X-Forwarded-For", "Referer", "Upgrade",
    "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"]), HEADER_VALUE, max_size=5)
BODIES = st.binary(max_size=300) | st.sampled_from([
    b"[" * 5000, b"{" * 3000, b'{"demo": "sync"}', b'{"demo": "sync", "n": 1e999}', b"null",
    b'{"demo": {"$gt": ""}}', "é".encode() * 100, b"\xff\xfe\x00"]) | \
    st.builds(lambda n: b"x" * n, st.integers(16_000, 17_000))
QUERY = st.dictionaries(st.sampled_from(["deck", "token", "x", "notes"]), SEGMENT, max_size=2)


def one_line(response):
    text = response.get_data(as_text=True)
    return text.strip().count("\n") == 0 and 0 < len(text.strip()) <= 300


@settings(max_examples=400, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=METHODS, path=st.sampled_from(PATHS), segment=SEGMENT, query=QUERY,
       headers=HEADERS, body=BODIES)
def test_anything_from_outside_gets_an_answer_not_a_crash(client, method, path, segment, query,
                                                         headers, body):
    url = path.replace("{x}", segment.replace("?", "%3F").replace("#", "%23"))  # one path
    try:
        response = client.open(url, method=method, query_string=query, headers=headers,
                               data=body)
    except UnicodeError:
        return  # not a request: werkzeug's client cannot even put it on the wire
    with response:
        assert response.status_code < 500, (method, url, response.status_code)
        if response.status_code >= 400 and method != "HEAD":
            assert one_line(response), (method, url, response.get_data(as_text=True)[:500])
        if path == "/presenter" and method != "OPTIONS":  # OPTIONS: Flask's empty Allow list
            assert response.status_code not in (200, 303) or \
                "test-presenter-token-4f2a" in str(query.get("token"))


KEY = "dGhlIHNhbXBsZSBub25jZQ=="
HANDSHAKES = {
    "no Sec-WebSocket-Key": {"Upgrade": "websocket", "Connection": "Upgrade",
                             "Sec-WebSocket-Version": "13"},
    "a key that is not base64": {"Upgrade": "websocket", "Connection": "Upgrade",
                                 "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "!!!"},
    "a short key": {"Upgrade": "websocket", "Connection": "Upgrade",
                    "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "c2hvcnQ="},
    "no version": {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": KEY},
    "version 8": {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": KEY,
                  "Sec-WebSocket-Version": "8"},
    "underscored key": {"Upgrade": "websocket", "Connection": "Upgrade",
                        "Sec-WebSocket-Version": "13", "Sec_WebSocket_Key": KEY},
    "no Upgrade": {"Connection": "Upgrade", "Sec-WebSocket-Key": KEY,
                   "Sec-WebSocket-Version": "13"},
    "a plain GET": {},
}


def raw_request(app, head):
    host, port = app.url.split("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        reply = b""
        while chunk := sock.recv(65536):  # the server closes after its answer
            reply += chunk
    return reply.decode(errors="replace")


@pytest.mark.parametrize("name", HANDSHAKES)
def test_a_bad_websocket_upgrade_is_a_400_with_the_reason(live_app, name):
    host = live_app.url.split("//", 1)[1]
    lines = [f"{key}: {value}" for key, value in HANDSHAKES[name].items()] or ["Connection: close"]
    reply = raw_request(live_app, "\r\n".join(["GET /ws HTTP/1.1", f"Host: {host}", *lines, "", ""]))
    status, _, rest = reply.partition("\r\n")
    body = rest.split("\r\n\r\n", 1)[1]
    assert status.startswith("HTTP/1.1 400"), reply[:500]
    assert body.strip() and body.strip().count("\n") == 0, body
    if "Upgrade" in HANDSHAKES[name]:  # an upgrade, but a bad one: the reason says what is wrong
        assert body.startswith("bad WebSocket handshake: "), body


def test_no_traceback_reached_the_log(live_app):
    """After the module's bad requests (it runs last): the app logged no traceback."""
    assert "Traceback" not in "".join(live_app.output)
