"""The clients of bench/abuse.py, all on loopback: attackers from one address (127.0.0.2) that
reconnect whenever the app cuts them, followers that each have an address of their own
(127.0.1.x, as phones in a room do), and a fresh visitor that loads the deck and follows."""
import asyncio
import multiprocessing
import os
import re
import time
from urllib.parse import urlsplit

import requests

from harness import rawws
from bench.audience_app import parents

ATTACKER = "127.0.0.2"
VISITOR = "127.0.0.1"
ASSET = re.compile(r'(?:src|href|data-deck-url)="(/[^"]*)"')
RETRY = 0.05  # seconds an attacker waits before it opens a cut connection again


def follower_address(index):
    """A loopback address of its own for follower `index` (127.0.1.1 ...)."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


class Attack:
    """`count` connections from ATTACKER kept open: each one cut by the app is opened again."""

    def __init__(self, url, count, kind, payload=b""):
        parts = urlsplit(url)
        self.host, self.port, self.count, self.kind = parts.hostname, parts.port, count, kind
        self.payload = payload
        self.open = 0  # held right now
        self.opened = 0  # connections made in all
        self.refused = 0  # cut or refused by the app
        self.frames = 0  # junk frames sent (floods)
        self.stopping = False

    async def run(self, until):
        await asyncio.gather(*(self.keep_one(until) for _ in range(self.count)))

    async def keep_one(self, until):
        while time.monotonic() < until and not self.stopping:
            try:
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, local_addr=(ATTACKER, 0))
            except OSError:
                self.refused += 1
                await asyncio.sleep(RETRY)  # the attacker's pace, not a synchronisation
                continue
            self.opened += 1
            try:
                await self.hold(reader, writer, until)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                pass
            finally:
                writer.close()
            self.refused += 1
            await asyncio.sleep(RETRY)  # the attacker's pace, not a synchronisation

    async def hold(self, reader, writer, until):
        if self.kind == "half-open":  # one byte of a request head, then silence
            writer.write(b"G")
            self.open += 1
            try:
                await asyncio.wait_for(reader.read(1), until - time.monotonic())
            except asyncio.TimeoutError:
                pass
            finally:
                self.open -= 1
            return
        writer.write(rawws.request(self.host, self.port))
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            return
        self.open += 1
        try:
            await (self.flood if self.kind == "flood" else self.idle)(reader, writer, until)
        finally:
            self.open -= 1

    async def idle(self, reader, writer, until):
        """An idle WebSocket that answers pings (any library does)."""
        frames = rawws.Frames()
        while time.monotonic() < until and not self.stopping:
            try:
                data = await asyncio.wait_for(reader.read(65536), until - time.monotonic())
            except asyncio.TimeoutError:
                return
            if not data:
                return
            for opcode, payload in frames.feed(data):
                if opcode == rawws.PING:
                    writer.write(rawws.frame(rawws.PONG, payload))
                elif opcode == rawws.CLOSE:
                    return

    async def flood(self, reader, writer, until):
        """Junk frames as fast as the socket takes them, reading whatever comes back."""
        batch = self.payload * 50
        drain = asyncio.ensure_future(self.discard(reader))
        try:
            while time.monotonic() < until and not self.stopping and not drain.done():
                writer.write(batch)
                await writer.drain()
                self.frames += 50
        finally:
            drain.cancel()

    @staticmethod
    async def discard(reader):
        while await reader.read(65536):
            pass


class Follower(asyncio.Protocol):
    """An audience socket from its own address; records when each slide change arrives."""

    def __init__(self):
        self.frames = rawws.Frames()
        self.slides = {}  # slide -> receipt time.time()
        self.stamps = {}  # slide -> the app's `at` (time.time() when it broadcast)
        self.hello = asyncio.get_running_loop().create_future()
        self.head = b""
        self.transport = None
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        received = time.time()
        if self.head is not None:
            self.head += data
            if (parsed := rawws.split_head(self.head)) is None:
                return
            status, data = parsed
            self.head = None
            if status != 101:
                self.hello.set_exception(ConnectionError(f"handshake answered {status}"))
                return
        for opcode, payload in self.frames.feed(data):
            if opcode == rawws.PING:
                self.transport.write(rawws.frame(rawws.PONG, payload))
            elif opcode == rawws.TEXT and b'"type":"slide"' in payload[:40]:
                slide = int(re.search(rb'"slide":(\d+)', payload).group(1))
                self.slides.setdefault(slide, received)
                at = re.search(rb'"at":([0-9.]+)', payload)
                self.stamps.setdefault(slide, float(at.group(1)) if at else None)
            elif opcode == rawws.TEXT and not self.hello.done():
                self.hello.set_result(payload)

    def connection_lost(self, exc):
        self.closed = True
        if not self.hello.done():
            self.hello.set_exception(exc or ConnectionError("closed"))


async def open_follower(url, source, cookie=None):
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    transport, follower = await loop.create_connection(
        Follower, parts.hostname, parts.port, local_addr=(source, 0))
    transport.write(rawws.request(parts.hostname, parts.port, cookie=cookie))
    await asyncio.wait_for(follower.hello, 30)
    return follower


def goto(presenter, slide):
    presenter.transport.write(rawws.frame(rawws.TEXT, f'{{"type":"goto","slide":{slide}}}'))
    return time.time()


def load_deck(url, timeout=10.0):
    """A fresh visitor's page load, as a browser does it: the page, then every asset it names
    and the deck. Returns seconds taken; raises if any of them fails."""
    started = time.monotonic()
    with requests.Session() as session:
        page = session.get(f"{url}/", timeout=timeout)
        page.raise_for_status()
        for path in ASSET.findall(page.text):
            session.get(f"{url}{path}", timeout=timeout).raise_for_status()
    return time.monotonic() - started


# -- attackers in a process of their own, and what the app holds -------------------------

def attack(url, count, kind, seconds, payload, results):
    """An attacker process: nice 10, its own event loop; puts its counters when done."""
    os.nice(10)
    attacker = Attack(url, count, kind, payload)
    asyncio.run(attacker.run(time.monotonic() + seconds))
    results.put({"kind": kind, "opened": attacker.opened, "refused": attacker.refused,
                 "frames": attacker.frames})


def start_attack(url, count, kind, seconds, payload=b""):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=attack, args=(url, count, kind, seconds, payload, results),
                              name=f"attack-{kind}")
    process.start()
    return process, results


def finish_attack(process, results, deadline=60):
    try:
        found = results.get(timeout=deadline)
    except Exception:  # the queue's Empty: it did not report
        found = {}
    process.join(10)
    if process.is_alive():
        process.kill()
        process.join()
    return found


def held_from(port, address):
    """Established connections from `address` to the app's `port` (/proc/net/tcp)."""
    wanted = "%08X" % int.from_bytes(bytes(map(int, address.split("."))), "little")
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote = fields[1].split(":"), fields[2].split(":")
            count += (fields[3] == "01" and int(local[1], 16) == port and remote[0] == wanted)
    return count


def worker_of(app):
    workers = [pid for pid, parent in parents().items() if parent == app.pid]
    return workers[0] if workers else None


def threads_of(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


# -- a fresh browser (optional: --browser) --------------------------------------------------

SLIDES = ".remark-slides-area > .remark-slide-container"
READY = "body[data-ready='true'][data-conn='open']"


def browser_probe(url, move, slide, timeout_ms=15_000):
    """A fresh headless Chromium opens the audience page: (seconds until ready and connected,
    seconds until it shows `slide`, which `move(slide)` asks the presenter for once ready)."""
    from playwright.sync_api import sync_playwright  # only with --browser

    from harness.headless import launch  # the tests' Chromium flags: one place

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_context().new_page()
            started = time.monotonic()
            page.goto(f"{url}/")
            page.wait_for_selector(READY, state="attached", timeout=timeout_ms)
            ready = time.monotonic() - started
            move(slide)
            page.wait_for_function(
                f"k => document.querySelectorAll('{SLIDES}')[k]"
                ".classList.contains('remark-visible')", arg=slide, timeout=timeout_ms)
            return ready, time.monotonic() - started
        finally:
            browser.close()
