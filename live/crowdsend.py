"""The crowd's requests: one asyncio event loop in a thread of its own sends each tap's one real
HTTP request with aiohttp, never a WebSocket handler. Each request is timed as the runner's tracer
times a run's: client start and end here (time.perf_counter), server start, end and worker from the
slow server's X-Server-Start, X-Server-End and X-Worker headers (one clock for all processes)."""
import asyncio
import threading
import time

import aiohttp

from runner.trace import describe, header_time


class Sender:
    """`send(session_key, url, done)` from any thread; `done(result)` runs on the loop thread."""

    def __init__(self, timeout=600.0):
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.loop = asyncio.new_event_loop()
        self.sessions = {}  # key -> ClientSession, used on the loop thread only
        self.thread = threading.Thread(target=self.loop.run_forever, name="crowd-sender",
                                       daemon=True)
        self.thread.start()

    def send(self, key, url, done):
        """Schedule one GET; returns a future whose cancel() abandons the request."""
        return asyncio.run_coroutine_threadsafe(self.fetch(key, url, done), self.loop)

    def session(self, key):
        session = self.sessions.get(key)
        if session is None:
            # limit=0: every tap is on the wire at once, so the queue forms at the server
            connector = aiohttp.TCPConnector(limit=0)
            session = self.sessions[key] = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout)
        return session

    async def fetch(self, key, url, done):
        start = time.perf_counter()
        try:
            async with self.session(key).get(url) as response:
                await response.read()
                end = time.perf_counter()
                headers = response.headers
                error = None if response.status < 400 else f"HTTP {response.status} from {url}"
                done({"client_start": start, "client_end": end,
                      "server_start": header_time(headers, "X-Server-Start"),
                      "server_end": header_time(headers, "X-Server-End"),
                      "worker": headers.get("X-Worker"), "error": error})
        except asyncio.CancelledError:
            done({"client_start": start, "client_end": time.perf_counter(),
                  "error": "cancelled: the round ended before the answer"})
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            error = "timed out" if isinstance(exc, asyncio.TimeoutError) else describe(exc, url)
            done({"client_start": start, "client_end": time.perf_counter(), "error": error})

    def forget(self, key):
        """Close a round's session (its connections) once it has ended."""
        async def close():
            session = self.sessions.pop(key, None)
            if session is not None:
                await session.close()
        asyncio.run_coroutine_threadsafe(close(), self.loop)

    def close(self):
        async def close_all():
            for session in list(self.sessions.values()):
                await session.close()
            self.sessions.clear()
        try:
            asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(5)  # blocking
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)  # blocking
