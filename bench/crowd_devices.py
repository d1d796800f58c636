"""Audience devices for bench/crowd.py: N sockets in one asyncio loop, each a device that said
its id, taps once at a given epoch time and records what it sees.

    python -m bench.crowd_devices WS_URL ORIGIN COUNT    (stdin: "tap <epoch>", then "stop")

Prints "ready" once every device has its crowd_hello, and at "stop" one JSON line: per device
its tap (sent, own request i, when crowd_mine came, when a crowd_rows message first held row i, or the
refusal), and over all devices the delays of every crowd broadcast (receipt - at) and the
receipt time of every slide change (by seq). Times are time.time(), the app's clock too.
"""
import asyncio
import json
import secrets
import sys
import time
from array import array

import aiohttp

from bench.audience_app import raise_file_limit

HANDSHAKES_AT_ONCE = 50
CROWD_EVENTS = {"crowd_rows", "crowd_round"}


class Device:
    def __init__(self):
        self.id = secrets.token_urlsafe(16)
        self.ws = None
        self.sent = self.mine_at = self.row_at = None
        self.i = None
        self.refused = None
        self.rows = []  # (receipt, text) of row messages until our own row is among them

    def take(self, text, received, delays, slides):
        """One frame, read as little as possible: 100 devices share this process, a phone has
        only its own socket to read (a full parse of every row message here would delay the
        next device's receipt by the others' parsing)."""
        kind = text[9:text.index('"', 9)] if text.startswith('{"type":"') else None
        if kind in CROWD_EVENTS:
            delays.append(received - stamp(text))
            if kind == "crowd_rows" and self.row_at is None:
                self.rows.append((received, text))
        elif kind == "crowd_mine":
            message = json.loads(text)
            self.i, self.mine_at = message["i"], received
            if "t" in message:  # the app sends the tapping device its own row with the answer
                self.row_at = received
        elif kind == "reject" and self.sent is not None and self.refused is None:
            self.refused = json.loads(text)["reason"]
        elif kind == "slide":
            message = json.loads(text)
            slides.append((message["seq"], received))
        if self.i is not None and self.row_at is None:
            needle = f"[{self.i},"
            for when, rows in self.rows:
                if needle in rows:
                    self.row_at = max(self.mine_at, when)
                    self.rows = []
                    break

    def report(self):
        return {"sent": self.sent, "i": self.i, "mine_at": self.mine_at, "row_at": self.row_at,
                "refused": self.refused}


def stamp(text):
    """The broadcast's `at` (the hub puts it last), without parsing the rows before it."""
    try:
        return float(text[text.rindex('"at":') + 5:-1])
    except ValueError:
        return json.loads(text)["at"]


async def connect(session, url, origin, device, gate):
    async with gate:
        device.ws = await session.ws_connect(url, origin=origin, max_msg_size=0)
        await device.ws.send_str(json.dumps({"type": "device", "id": device.id}))
        while True:
            message = json.loads((await device.ws.receive()).data)
            if message["type"] == "crowd_hello":
                return


async def listen(device, delays, slides):
    async for msg in device.ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        device.take(msg.data, time.time(), delays, slides)


async def tap(device, at):
    await asyncio.sleep(max(0.0, at - time.time()))  # the agreed moment, for every device
    device.sent = time.time()
    await device.ws.send_str('{"type":"crowd_tap"}')


async def main(url, origin, count):
    raise_file_limit()
    devices = [Device() for _ in range(count)]
    delays, slides = array("d"), []
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(connect(session, url, origin, d, gate) for d in devices))
        listeners = [asyncio.create_task(listen(d, delays, slides)) for d in devices]
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while (line := (await reader.readline()).decode().split()) and line[0] != "stop":
            if line[0] == "tap":
                at = float(line[1])
                for device in devices:
                    asyncio.create_task(tap(device, at))
        for device in devices:
            await device.ws.close()
        await asyncio.gather(*listeners, return_exceptions=True)
    print(json.dumps({"devices": [d.report() for d in devices], "delays": list(delays),
                      "slides": slides}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
