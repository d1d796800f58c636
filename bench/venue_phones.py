"""The phones of bench/venue.py: N cheap clients in one asyncio loop, run inside the venue's
network namespace (`ip netns exec NS python -m bench.venue_phones URL N`).

Commands come one JSON line at a time on stdin and each gets one JSON line on stdout:
    {"do": "load"}                      every phone opens the URL at once: the page, every asset it
                                        references, the deck, /api/demos, a WebSocket hello
    {"do": "watch", "run": id}          wait until every phone has that run's run_end: seconds
                                        from its `at` (when the app sent it) to its receipt
    {"do": "reconnect", "seq": S, "runs": R, "shown": id}
                                        every phone drops its socket and reconnects at once; in
                                        sync = a hello at seq >= S with R runs and the run `shown`
                                        in detail (from the hello, else GET ?format=compact)
    {"do": "quit"}
Times are time.time() (the app stamps `at` with the same machine clock), durations perf_counter.
"""
import asyncio
import json
import re
import sys
import time
from html.parser import HTMLParser

import aiohttp

from bench.audience_app import raise_file_limit

ENCODINGS = "gzip, deflate, br"  # what phones' browsers send
PARALLEL = 6  # connections per host, as a browser opens them
DEADLINE = 300.0


class Assets(HTMLParser):
    """What a page references: scripts, stylesheets, and the deck URL on <body>."""

    def __init__(self):
        super().__init__()
        self.urls, self.deck = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and not attrs["href"].startswith("data:"):
            self.urls.append(attrs["href"])
        elif tag == "body":
            self.deck = attrs.get("data-deck-url")


class Phone:
    """One phone: its HTTP session, its socket and what it saw."""

    def __init__(self, url):
        self.url = url
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=PARALLEL),
            headers={"Accept-Encoding": ENCODINGS},
            timeout=aiohttp.ClientTimeout(total=DEADLINE))
        self.ws = None
        self.reader = None
        self.hello = None
        self.greeted = asyncio.Event()
        self.ends = {}  # run id -> seconds from the app's `at` of its run_end to its receipt
        self.ended = asyncio.Event()
        self.wire_bytes = 0  # WebSocket payload bytes received
        self.retries = 0  # GETs tried again after the server closed a kept-alive connection

    async def get(self, path, retries=1):
        """A GET, tried again once on a kept-alive connection the server had just closed (as
        browsers do for idempotent requests)."""
        try:
            async with self.session.get(self.url + path) as response:
                body = await response.read()
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            if not retries:
                raise
            self.retries += 1
            return await self.get(path, retries - 1)
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return body

    async def load(self):
        """Seconds until this phone has the first slide: page, assets, deck, demos, hello."""
        started = time.perf_counter()
        page = Assets()
        page.feed((await self.get("/")).decode())
        await asyncio.gather(*(self.get(path) for path in page.urls))
        await asyncio.gather(self.get(page.deck), self.get("/api/demos"), self.connect())
        return time.perf_counter() - started

    async def connect(self):
        """Open the socket and wait for its hello."""
        self.greeted.clear()
        self.ws = await self.session.ws_connect(self.url.replace("http", "ws", 1) + "/ws",
                                                origin=self.url, max_msg_size=0,
                                                compress=0, autoping=True)
        self.reader = asyncio.create_task(self.listen(self.ws))
        await self.greeted.wait()

    async def listen(self, ws):
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            self.wire_bytes += len(frame.data)
            if frame.data.startswith('{"type":"hello"'):
                self.hello = json.loads(frame.data)
                self.greeted.set()
            elif frame.data.startswith('{"type":"run_end"'):
                end = json.loads(frame.data)
                self.ends[end["run"]] = time.time() - end["at"]
                self.ended.set()

    async def drop(self):
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()

    async def sync(self, seq, runs, shown):
        """Drop, reconnect, and return seconds until in sync with the room."""
        await self.drop()
        started = time.perf_counter()
        while True:
            await self.connect()
            if self.hello["seq"] >= seq and len(self.hello["runs"]) >= runs:
                break
            await asyncio.sleep(0.1)  # an older state: ask again (never expected)
        if shown is not None and shown not in {d["id"] for d in self.hello.get("details", [])}:
            await self.get(f"/api/runs/{shown}?format=compact")
        return time.perf_counter() - started

    async def wait_end(self, run_id):
        while run_id not in self.ends:
            self.ended.clear()
            await self.ended.wait()
        return self.ends[run_id]

    async def close(self):
        await self.drop()
        await self.session.close()


async def attempt(job):
    """(result, None) or (None, one-line error)."""
    try:
        return await asyncio.wait_for(job, DEADLINE), None
    except Exception as exc:  # a phone that fails is reported, not fatal
        return None, f"{type(exc).__name__}: {exc}"


async def serve(url, count):
    raise_file_limit()
    phones = [Phone(url) for _ in range(count)]
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            command = json.loads(line)
            if command["do"] == "quit":
                break
            answer = await do(phones, command)
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)


async def do(phones, command):
    before = [phone.wire_bytes for phone in phones]
    if command["do"] == "load":
        results = await asyncio.gather(*(attempt(phone.load()) for phone in phones))
    elif command["do"] == "watch":
        results = await asyncio.gather(*(attempt(phone.wait_end(command["run"]))
                                         for phone in phones))
    elif command["do"] == "reconnect":
        results = await asyncio.gather(*(attempt(phone.sync(
            command["seq"], command["runs"], command.get("shown"))) for phone in phones))
    else:
        return {"error": f"unknown command {command['do']!r}"}
    return {"values": [value for value, _ in results],
            "errors": [error for _, error in results if error],
            "wire_bytes": [phone.wire_bytes - b for phone, b in zip(phones, before)],
            "retries": sum(phone.retries for phone in phones)}


def main():
    url, count = sys.argv[1], int(sys.argv[2])
    if not re.fullmatch(r"http://10\.213\.\d+\.\d+:\d+", url):
        sys.exit("venue_phones: the URL must be the venue's own veth address")
    asyncio.run(serve(url, count))


if __name__ == "__main__":
    main()
