"""Floods (issue 14 item 2): input per socket is bounded, junk counts against the same limit,
a socket over its limit is closed (1008) instead of answered frame by frame, and the app is
idle again as soon as the attacker leaves."""
import asyncio
import json
import threading
import time

import pytest

from harness import rawws
from sockets import cpu_over, open_raw, read_to_close, worker_pid
from viewers import connect

JUNK = rawws.frame(rawws.TEXT, "x")


@pytest.fixture(scope="module")
def served(module_app_factory):
    return module_app_factory()


def rejects(frames):
    return [json.loads(p) for op, p in frames
            if op == rawws.TEXT and json.loads(p)["type"] == "reject"]


@pytest.mark.parametrize("payload, source", [("x", "127.0.2.1"), ("{not json", "127.0.2.2"),
                                             ('{"type": "dance"}', "127.0.2.3"),
                                             ('{"type": "goto", "slide": 1}', "127.0.2.4")])
def test_a_flood_of_refused_frames_is_closed_not_answered_one_by_one(served, payload, source):
    sock, leftover = open_raw(served, source=source)
    try:
        sock.sendall(rawws.frame(rawws.TEXT, payload) * 300)
        frames, code = read_to_close(sock, leftover)
    finally:
        sock.close()
    assert code == 1008
    assert len(rejects(frames)) <= 50  # a full inbox or the "reject" burst, then the close


def test_a_burst_of_valid_frames_over_the_rate_is_closed(served):
    sock, leftover = open_raw(served, source="127.0.2.5")
    try:
        sock.sendall(rawws.frame(rawws.TEXT, '{"type": "sync"}') * 500)
        frames, code = read_to_close(sock, leftover)
    finally:
        sock.close()
    assert code == 1008
    hellos = [p for op, p in frames if op == rawws.TEXT and b'"hello"' in p]
    assert len(hellos) <= 12  # the first hello, then the sync burst of 10 at most


def test_a_socket_that_floods_without_reading_is_closed(served):
    sock, _ = open_raw(served, source="127.0.2.6", rcvbuf=4096)
    try:
        sock.settimeout(10)
        with pytest.raises(OSError):  # reset, or refused once the app closed it
            for _ in range(20_000):
                sock.sendall(JUNK * 100)
    finally:
        sock.close()


def test_the_app_is_idle_as_soon_as_flooders_leave(served):
    """Ten sockets flood junk for about two seconds, reconnecting when closed; then they
    leave and the worker's CPU over the next second is near idle (generous bound)."""
    stop = threading.Event()
    sent = [0]

    def flood(source):
        while not stop.is_set():
            try:
                sock, _ = open_raw(served, source=source)
            except OSError:
                continue
            try:
                while not stop.is_set():
                    sock.sendall(JUNK * 50)
                    sent[0] += 50
            except OSError:
                pass
            finally:
                sock.close()

    workers = [threading.Thread(target=flood, args=(f"127.0.3.{i + 1}",)) for i in range(10)]
    for thread in workers:
        thread.start()
    time.sleep(2.0)  # the flood's length, not a synchronisation
    stop.set()
    for thread in workers:
        thread.join(10)
    pid = worker_pid(served)
    assert sent[0] > 1000
    assert cpu_over(pid, 1.0) < 0.3  # was 100 % of a core for minutes (red-team H2)

    async def follow():
        async with connect(served) as viewer:
            return (await viewer.sync())["type"]

    assert asyncio.run(follow()) == "hello"


def test_an_address_closed_for_flooding_is_refused_for_a_while(served):
    sock, leftover = open_raw(served, source="127.0.2.7")
    try:
        sock.sendall(JUNK * 300)
        _, code = read_to_close(sock, leftover)
    finally:
        sock.close()
    assert code == 1008
    with pytest.raises(ConnectionError, match="429"):
        open_raw(served, source="127.0.2.7")
    other, _ = open_raw(served, source="127.0.2.8")  # nobody else is
    other.close()
