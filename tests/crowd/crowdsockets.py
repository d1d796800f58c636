"""Sockets for the crowd tests: aiohttp WebSockets on the real app, each one a device (a Viewer
of tests/app/viewers.py that said which device it is)."""
import secrets
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))
from viewers import Viewer, connect  # noqa: E402  (tests/app's own helper)

CAP = 4  # the crowd tests' app waits for at most this many requests at once (--crowd-cap)


class Device(Viewer):
    """One socket that said which device it is (`id`, its `crowd_hello`)."""
    deadline = 15.0  # a crowd round's answers wait on slow servers

    def __init__(self, ws):
        super().__init__(ws)
        self.id = self.crowd_hello = None

    async def round_status(self, status, timeout=None):
        return await self.wait_for(
            lambda m: m["type"] == "crowd_round" and m["status"] == status, timeout)


@asynccontextmanager
async def device(app, cookies=None, device_id=None, say=True):
    """A socket on `app` that (unless say=False) declared a fresh random device id."""
    async with connect(app, cookies, kind=Device) as viewer:
        viewer.id = device_id or secrets.token_urlsafe(16)
        if say:
            await viewer.send({"type": "device", "id": viewer.id})
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
