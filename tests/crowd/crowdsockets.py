"""Sockets for the crowd tests: aiohttp WebSockets on the real app, each one a device."""
import asyncio
import json
import secrets
import time
from contextlib import asynccontextmanager

import aiohttp
import requests

DEADLINE = 15.0
CAP = 4  # the crowd tests' app waits for at most this many requests at once (--crowd-cap)


class Device:
    """One socket that said which device it is; every message it got is kept in `seen`."""

    def __init__(self, ws, device_id):
        self.ws, self.id = ws, device_id
        self.seen = []
        self.hello = self.crowd_hello = None

    async def send(self, message):
        await self.ws.send_str(json.dumps(message))

    async def next(self, timeout=DEADLINE):
        msg = await self.ws.receive(timeout=timeout)
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"{msg.type!r} {msg.data!r}")
        message = json.loads(msg.data)
        self.seen.append(message)
        return message

    async def wait_for(self, predicate, timeout=DEADLINE):
        give_up = time.monotonic() + timeout
        while (left := give_up - time.monotonic()) > 0:
            message = await self.next(left)
            if predicate(message):
                return message
        raise asyncio.TimeoutError(f"no matching message in {timeout} s; saw {self.seen[-5:]}")

    async def wait_type(self, kind, timeout=DEADLINE, **fields):
        return await self.wait_for(
            lambda m: m["type"] == kind and all(m.get(k) == v for k, v in fields.items()),
            timeout)

    async def reject(self):
        return (await self.wait_type("reject"))["reason"]

    async def round_status(self, status, timeout=DEADLINE):
        return await self.wait_for(
            lambda m: m["type"] == "crowd_round" and m["status"] == status, timeout)


@asynccontextmanager
async def device(app, cookies=None, device_id=None, say=True):
    """A socket on `app` that (unless say=False) declared a fresh random device id."""
    device_id = device_id or secrets.token_urlsafe(16)
    async with aiohttp.ClientSession(cookies=cookies) as session:
        async with session.ws_connect(app.ws_url, origin=app.url, max_msg_size=0) as ws:
            viewer = Device(ws, device_id)
            viewer.hello = await viewer.wait_type("hello")
            if say:
                await viewer.send({"type": "device", "id": device_id})
                viewer.crowd_hello = await viewer.wait_type("crowd_hello")
            yield viewer


def presenter_cookie(app):
    with requests.Session() as session:
        response = session.get(app.presenter_url, allow_redirects=False, timeout=10)
        return {"presenter": response.cookies["presenter"]}


def get(app, path):
    with requests.get(f"{app.url}{path}", timeout=10) as response:
        response.raise_for_status()
        return response.json()
