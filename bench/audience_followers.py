"""Audience followers for bench/audience.py: many /ws sockets in one asyncio loop (one process
of several, started by bench/audience_crowd.py), each recording every broadcast it receives
(seq, `at`, receipt time).

Each follower is a bare asyncio Protocol over harness/rawws.py (a handshake, a frame splitter,
json.loads and live/wire.py's decoder for each text frame): a thousand of them cost a fraction
of what the app spends on them, so the figures are the app's (aiohttp's clients cost more).

Like the deck's own socket.js, a follower that is dropped reconnects and re-syncs from hello;
one that saw a gap fetches the run from GET /api/runs/<id> once the run is over, and records
the seqs it recovered there. Receipt times are time.time(): `at` is the server's epoch clock on
the same machine.
"""
import asyncio
import json
import math
import time
from array import array

from urllib.parse import urlsplit

import aiohttp

from harness import rawws
from bench.audience_report import run_events
from live.wire import Decoder

HANDSHAKES_AT_ONCE = 50  # concurrent opening handshakes per process
RECONNECTS = 5
BACKOFF = 0.2  # seconds before a reconnect, doubled each time
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)


class Follower:
    """What one audience socket saw."""

    def __init__(self, index):
        self.index = index
        self.connected = False
        self.compressed = False  # permessage-deflate negotiated
        self.reconnects = 0
        self.baseline = None  # ids of the runs in the first hello: not ours
        self.run_id = None
        self.run_over = False
        self.last_seq = None
        self.seqs = array("q")  # every seq received live, in order
        self.gaps = 0  # jumps in seq (a dropped socket's hello counts too)
        self.disorder = 0  # a seq at or below one already seen
        self.slides = []  # (slide, received, at)
        self.span_after_at = array("d")  # receipt - at
        self.span_after_end = array("d")  # receipt - client_end (epoch minus runner clock)
        self.least_delay = math.inf  # min(at - client_end): anchors the runner's clock
        self.recovered = []  # seqs of the run fetched from GET /api/runs/<id>
        self.recovered_run = False  # the run's summary was fetched (stands for run_start)
        self.errors = []
        self.decoder = Decoder()  # compact run events back into the runner's (live/wire.py)

    def take(self, message, received):
        """Record one message."""
        kind = message.get("type")
        if kind == "hello":
            self.greet(message)
            return
        seq = message.get("seq")
        if not isinstance(seq, int):
            return  # a reject: to this socket only, no seq
        self.check(seq)
        self.seqs.append(seq)
        if message.get("run") is not None and message["run"] not in self.baseline:
            self.run_id = message["run"]
        if kind == "slide":
            self.slides.append((message["slide"], received, message["at"]))
        elif kind == "span":
            self.time_span(message, received)
        elif kind == "run_end" and message["run"] == self.run_id:
            self.run_over = True

    def check(self, seq):
        if self.last_seq is not None:
            if seq > self.last_seq + 1:
                self.gaps += 1
            elif seq <= self.last_seq:
                self.disorder += 1
        self.last_seq = seq if self.last_seq is None else max(seq, self.last_seq)

    def greet(self, hello):
        """First hello: the baseline. Later ones (reconnects): a gap if seq moved on, and the
        run's end if it finished while we were away."""
        if self.baseline is None:
            self.baseline = {run["id"] for run in hello["runs"]}
            self.connected = True
        elif hello["seq"] > self.last_seq:
            self.gaps += 1
        self.last_seq = hello["seq"] if self.last_seq is None else max(hello["seq"], self.last_seq)
        ours = [run for run in hello["runs"] if run["id"] not in self.baseline]
        if ours:
            self.run_id = ours[-1]["id"]
            self.run_over = self.run_over or ours[-1]["status"] != "running"

    def time_span(self, span, received):
        self.span_after_at.append(received - span["at"])
        if isinstance(span.get("client_end"), (int, float)):
            self.span_after_end.append(received - span["client_end"])
            self.least_delay = min(self.least_delay, span["at"] - span["client_end"])

    def report(self):
        """A picklable dict of everything recorded."""
        return dict(vars(self), baseline=sorted(self.baseline or ()))


class Listener(asyncio.Protocol):
    """One follower's socket: the handshake, then every text frame into `follower.take`."""

    def __init__(self, follower, request, ready, done):
        self.follower, self.request, self.ready, self.done = follower, request, ready, done
        self.head = b""
        self.frames = rawws.Frames()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        received = time.time()
        if self.head is not None:
            self.head += data
            parsed = rawws.split_head(self.head)
            if parsed is None:
                return
            status, data = parsed
            self.head = None
            if status != 101:
                self.end(ConnectionError(f"handshake answered {status}"))
                return
            self.ready.set_result(True)
        try:
            frames = self.frames.feed(data)
        except ValueError as exc:
            self.end(exc)
            return
        follower = self.follower
        for opcode, payload in frames:
            if opcode == rawws.TEXT:  # ev frames hold several events (live/wire.py)
                for message in follower.decoder.expand(json.loads(payload)):
                    follower.take(message, received)
            elif opcode == rawws.PING:
                self.transport.write(rawws.frame(rawws.PONG, payload))
            elif opcode == rawws.CLOSE:
                self.end(None)
                return
        if self.follower.run_over:
            self.end(None)

    def end(self, exc):
        self.connection_lost(exc)
        self.transport.close()

    def connection_lost(self, exc):
        """Settle both futures once: the handshake's (if still open) and the socket's end."""
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.done.done():
            self.done.set_result(exc)


async def listen_once(follower, setup, gate):
    """Connect (at most HANDSHAKES_AT_ONCE at a time), then record until the socket ends."""
    loop = asyncio.get_running_loop()
    parts = urlsplit(setup["url"])
    ready, done = loop.create_future(), loop.create_future()
    request = rawws.request(parts.hostname, parts.port, origin=setup["url"],
                            deflate=bool(setup["compress"]))
    async with gate:
        transport, _ = await asyncio.wait_for(loop.create_connection(
            lambda: Listener(follower, request, ready, done), parts.hostname, parts.port), 30)
        try:
            await asyncio.wait_for(ready, 30)
        except BaseException:
            transport.close()
            raise
    try:
        exc = await done
    finally:
        transport.close()
    if exc is not None:
        raise exc


async def follow(follower, session, setup, gate):
    """Connect, listen, and reconnect with backoff when dropped, until the run is over."""
    url, backoff = setup["url"], BACKOFF
    for attempt in range(RECONNECTS + 1):
        try:
            await listen_once(follower, setup, gate)
        except (ConnectionError, ValueError, asyncio.TimeoutError, OSError) as exc:
            follower.errors.append(f"{type(exc).__name__}: {exc}")
        if follower.run_over or attempt == RECONNECTS:
            break
        follower.reconnects += 1
        await asyncio.sleep(backoff)  # backoff before reconnecting, as socket.js does
        backoff *= 2
    if follower.run_over and (follower.gaps or follower.reconnects):
        await recover(follower, session, url)


async def recover(follower, session, url):
    """Fetch the run's events missed live (the deck's re-sync after a gap)."""
    try:
        async with session.get(f"{url}/api/runs/{follower.run_id}",
                               timeout=HTTP_TIMEOUT) as response:
            response.raise_for_status()
            run = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        follower.errors.append(f"recovery failed: {type(exc).__name__}: {exc}")
        return
    follower.recovered_run = True
    follower.recovered = [event["seq"] for event in run_events(run)]
    if run["last_seq"] is not None and run["status"] != "running":
        follower.recovered.append(run["last_seq"])


async def wait_connected(followers, deadline):
    """Until every follower has its first hello, or the deadline."""
    give_up = time.monotonic() + deadline
    while not all(f.connected for f in followers) and time.monotonic() < give_up:
        await asyncio.sleep(0.05)  # polling a condition with a deadline


async def wait_stop(tasks, stop):
    """Until every follower is done or the parent sets `stop` (a multiprocessing.Event)."""
    while not all(t.done() for t in tasks) and not stop.is_set():
        await asyncio.sleep(0.1)  # polling a condition with a deadline


async def crowd(part, count, setup, outbox, stop):
    """`count` followers: report when connected, then report what they saw."""
    followers = [Follower(i) for i in range(count)]
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    connector = aiohttp.TCPConnector(limit=0)  # a WebSocket holds its connection: no pool cap
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(follow(f, session, setup, gate)) for f in followers]
        started = time.perf_counter()
        await wait_connected(followers, setup["connect_deadline"])
        outbox.put(("ready", part, sum(f.connected for f in followers),
                    time.perf_counter() - started))
        await wait_stop(tasks, stop)
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        for task in tasks:
            if not task.cancelled():
                task.result()  # surface a follower's unexpected exception
    return followers
