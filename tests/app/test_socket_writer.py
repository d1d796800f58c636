"""One writer per socket: a batch far bigger than the send buffer goes out in pieces to a
client that reads slowly while pings are due both ways; every frame arrives intact, the pings
and pongs between whole frames, never inside one (issue 8 item 4, red-team M1)."""
import json
import socket
import time

import pytest

from harness import rawws
from live.hub import Hub
from live.ratelimit import Limits
from live.reactor import Reactor
from live.websocket import Connection, handshake

SPANS = 4000  # ~1 MB in one batch; the send buffer is 16 KiB, the client's receive buffer 4 KiB


def upgrade_environ():
    return {"HTTP_HOST": "127.0.0.1", "HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade",
            "HTTP_SEC_WEBSOCKET_KEY": rawws.KEY, "HTTP_SEC_WEBSOCKET_VERSION": "13"}


@pytest.fixture
def reactor():
    reactor = Reactor(ping_interval=0.05)  # a ping due every 50 ms
    yield reactor
    reactor.stop()


def open_socket(reactor, hub):
    """(client socket, server Connection): a real loopback TCP pair past the handshake."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(listener.getsockname())
        server, _ = listener.accept()
    proto, accept = handshake(upgrade_environ())
    server.sendall(accept)
    client.settimeout(10)
    head = b""
    while rawws.split_head(head) is None:
        head += client.recv(1)
    conn = Connection(server, proto, "127.0.0.1", Limits())
    conn.on_message = lambda _text: None
    hub.join(conn, "audience", lambda seq: {"type": "hello", "seq": seq})
    reactor.add(conn)
    return client, conn


def read_slowly(client, until, deadline=60.0):
    """Read 2 KiB every few ms, answer every ping, ping the server now and then; returns
    (texts, pings seen, pongs seen)."""
    frames, texts, pings, pongs = rawws.Frames(), [], 0, 0
    give_up = time.monotonic() + deadline
    while not until(texts) and time.monotonic() < give_up:
        data = client.recv(2048)  # blocking
        assert data, "the server closed the socket"
        for opcode, payload in frames.feed(data):  # raises on a frame that is not whole
            if opcode == rawws.TEXT:
                texts.append(json.loads(payload.decode("utf-8")))
                if len(texts) % 500 == 0:
                    client.sendall(rawws.frame(rawws.PING, b"client"))
            elif opcode == rawws.PING:
                pings += 1
                client.sendall(rawws.frame(rawws.PONG, payload))
            elif opcode == rawws.PONG:
                pongs += 1
            else:
                raise AssertionError(f"unexpected frame {opcode}")
        time.sleep(0.002)  # a slow reader, on purpose: the batch must go out in pieces
    return texts, pings, pongs


def test_a_batch_bigger_than_the_send_buffer_arrives_whole_while_pings_are_due(reactor):
    hub = Hub(send_buffer=16 * 1024)
    client, conn = open_socket(reactor, hub)
    try:
        stamped = hub.publish_all([{"type": "span", "i": i, "pad": "x" * 200}
                                   for i in range(SPANS)])
        last = stamped[-1]["seq"]
        texts, pings, pongs = read_slowly(client, lambda t: t and t[-1].get("seq") == last)
        # and after it, the socket still works: one more broadcast, read whole
        again = hub.publish({"type": "slide", "slide": 3})
        more, _, _ = read_slowly(client, lambda t: any(m["seq"] == again["seq"] for m in t), 10)
        alive = not conn.dead  # read before we close: the reactor then marks it dead, rightly
    finally:
        client.close()
    spans = [m for m in texts if m["type"] == "span"]
    assert [m["i"] for m in spans] == list(range(SPANS))
    assert [m["seq"] for m in spans] == list(range(last - SPANS + 1, last + 1))
    assert pings >= 1 and pongs >= 1  # control frames flowed, between whole frames
    assert more[-1]["slide"] == 3
    assert alive


def test_a_client_that_never_answers_pings_is_closed(reactor):
    hub = Hub()
    client, conn = open_socket(reactor, hub)
    try:
        assert conn.ended.wait(10), "a silent client was never closed"
        frames, seen = rawws.Frames(), []
        client.settimeout(5)
        while data := client.recv(65536):
            seen += frames.feed(data)
    finally:
        client.close()
    assert seen[-1][0] == rawws.CLOSE and seen[-1][1][:2] == (1008).to_bytes(2, "big")
    assert conn.dead
