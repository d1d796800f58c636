"""Connections (issue 14 item 1): a deadline on each request head, per-client caps on open
connections and WebSockets, and idle WebSockets that cost no thread, so page loads go on.
Clients on loopback: the "attacker" binds 127.0.0.2, everyone else comes from 127.0.0.1."""
import socket
import time

import pytest
import requests

from harness import rawws
from sockets import address, open_raw, worker_pid

ATTACKER = "127.0.0.2"


@pytest.fixture(scope="module")
def served(module_app_factory):
    return module_app_factory("--header-timeout", "2", "--max-conns-per-client", "20",
                       "--max-ws-per-client", "5")


def half_open(app, source=ATTACKER):
    """A connection that sends one byte of a request and goes quiet."""
    sock = socket.create_connection(address(app), timeout=10, source_address=(source, 0))
    sock.sendall(b"G")
    return sock


def closed_within(sock, seconds):
    sock.settimeout(seconds)
    try:
        return sock.recv(4096) is not None  # b"" or a 4xx, then EOF
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def threads_of(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def test_a_request_head_that_never_ends_is_cut_at_the_deadline(served):
    sock = half_open(served, "127.0.0.1")
    started = time.monotonic()
    try:
        assert closed_within(sock, 15)
    finally:
        sock.close()
    assert time.monotonic() - started < 10  # deadline 2 s, checked every second (generous)


def test_one_client_cannot_hold_more_than_its_share_of_connections(served):
    held = [half_open(served) for _ in range(20)]
    try:
        extra = half_open(served)
        try:
            answer = extra.recv(4096)
        except ConnectionResetError:
            answer = b""
        finally:
            extra.close()
        assert answer == b"" or answer.startswith(b"HTTP/1.1 429")
        page = requests.get(f"{served.url}/", timeout=5)  # another address: served at once
        assert page.status_code == 200
    finally:
        for sock in held:
            sock.close()


def test_one_client_cannot_hold_more_than_its_share_of_websockets(served):
    host, port = address(served)
    held = [rawws.connect(host, port, source=ATTACKER)[0] for _ in range(5)]
    try:
        with pytest.raises(ConnectionError, match="429"):
            rawws.connect(host, port, source=ATTACKER)
        mine, _ = open_raw(served)  # another address is not affected
        mine.close()
        held.pop().close()
        deadline = time.monotonic() + 10
        while True:  # the slot comes back once the app has seen the close
            try:
                held.append(rawws.connect(host, port, source=ATTACKER)[0])
                break
            except ConnectionError:
                assert time.monotonic() < deadline, "the closed socket's slot never came back"
                time.sleep(0.05)  # polling a condition with a deadline
    finally:
        for sock in held:
            sock.close()


def test_idle_websockets_cost_no_thread_and_pages_still_load(app_factory):
    app = app_factory("--max-ws-per-client", "0")
    pid = worker_pid(app)
    host, port = address(app)
    before = threads_of(pid)
    sockets = []
    try:
        for _ in range(400):
            sockets.append(rawws.connect(host, port)[0])
        during = threads_of(pid)
        started = time.monotonic()
        page = requests.get(f"{app.url}/", timeout=10)
        took = time.monotonic() - started
        last, _ = open_raw(app)  # and one more WebSocket opens
        last.close()
    finally:
        for sock in sockets:
            sock.close()
    assert page.status_code == 200 and took < 3.0
    assert during - before < 50, (before, during)  # 400 sockets; was 3 threads each


@pytest.mark.parametrize("drop", ["Sec-WebSocket-Key", "Sec-WebSocket-Version"])
def test_a_broken_upgrade_gets_a_400_with_a_reason(served, drop):
    headers = {"Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Key": rawws.KEY, "Sec-WebSocket-Version": "13"}
    del headers[drop]
    response = requests.get(f"{served.url}/ws", headers=headers, timeout=10)
    assert response.status_code == 400
    assert "bad WebSocket handshake" in response.text and "\n" not in response.text.strip()
