"""WebSocket viewers for the app tests (aiohttp's client), waiting on messages with deadlines.

Compact `ev` frames are decoded (live/wire.py) into the readable events they carry, so tests
wait for "span" or "error" as the runner wrote them; `frames` keeps what came on the wire.
tests/crowd/crowdsockets.py builds its devices on `connect` (kind=its Viewer subclass)."""
import asyncio
import json
import socket
import time
from collections import deque
from contextlib import asynccontextmanager

import aiohttp
import requests

from live.wire import Decoder

DEADLINE = 10.0


class Closed(ConnectionError):
    """The server closed the socket."""


class Viewer:
    """One socket: `send(obj)`, `next()`, `wait_for(predicate)`; every message kept in `seen`."""
    deadline = DEADLINE  # seconds a wait gives up after, unless it is given its own

    def __init__(self, ws):
        self.ws = ws
        self.seen = []
        self.frames = []  # every text frame as received
        self.pending = deque()
        self.decoder = Decoder()
        self.hello = None

    async def send(self, message):
        await self.ws.send_str(message if isinstance(message, str) else json.dumps(message))

    async def next(self, timeout=None):
        timeout = self.deadline if timeout is None else timeout
        while not self.pending:
            msg = await self.ws.receive(timeout=timeout)
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise Closed(f"{msg.type!r} {msg.data!r}")
            self.frames.append(msg.data)
            self.pending.extend(self.decoder.expand(json.loads(msg.data)))
        message = self.pending.popleft()
        self.seen.append(message)
        return message

    async def wait_for(self, predicate, timeout=None):
        """The first message (from now on) for which predicate(message) is true."""
        timeout = self.deadline if timeout is None else timeout
        give_up = time.monotonic() + timeout
        while (left := give_up - time.monotonic()) > 0:
            message = await self.next(left)
            if predicate(message):
                return message
        raise asyncio.TimeoutError(f"no matching message within {timeout} s; saw {self.seen[-5:]}")

    async def wait_type(self, kind, timeout=None, **fields):
        return await self.wait_for(
            lambda m: m["type"] == kind and all(m.get(k) == v for k, v in fields.items()), timeout)

    async def reject(self, timeout=None):
        return (await self.wait_type("reject", timeout))["reason"]

    async def sync(self):
        """Ask for hello again: proves the socket still works."""
        await self.send({"type": "sync"})
        return await self.wait_type("hello")


@asynccontextmanager
async def connect(app, cookies=None, origin="same", headers=None, kind=Viewer):
    """A viewer of `app` (a `kind`), its hello already read. origin="same" sends the app's own
    Origin."""
    origin = app.url if origin == "same" else origin
    async with aiohttp.ClientSession(cookies=cookies) as session:
        async with session.ws_connect(app.ws_url, origin=origin, headers=headers,
                                      autoping=True, max_msg_size=0) as ws:
            viewer = kind(ws)
            viewer.hello = await viewer.wait_type("hello")
            yield viewer


def state(app):
    with requests.get(f"{app.url}/api/state", timeout=10) as response:
        return response.json()


def runs(app):
    with requests.get(f"{app.url}/api/runs", timeout=10) as response:
        return response.json()


def wait_idle(app, deadline=60.0):
    """Wait until no run is going (the tests of a module share one app)."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        if state(app)["active"] is None:
            return
        time.sleep(0.05)  # polling a condition with a deadline
    raise TimeoutError("a run is still going")


def raw_socket(app, origin=True, rcvbuf=None):
    """A bare TCP WebSocket handshake (for a follower that never reads); returns the socket."""
    host, port = app.url.split("//", 1)[1].split(":")
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect((host, int(port)))
    request = (f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n")
    if origin:
        request += f"Origin: {app.url}\r\n"
    sock.sendall((request + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)  # byte by byte: leave the frames that follow in the socket
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock
