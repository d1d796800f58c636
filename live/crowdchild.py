"""The crowd sender's child process, started by live/crowdsend.py as
`python -P live/crowdchild.py` (a script: it imports no app code): one asyncio event loop sends
each request with aiohttp and times it, client side here, server side from the slow server's
X-Server-Start, X-Server-End and X-Worker headers.

stdin: {"op": "send", "id", "key", "url"} | {"op": "cancel", "id"} | {"op": "forget", "key"};
stdout: one JSON line per request, {"id", "client_start", "client_end", "server_start",
"server_end", "worker", "error"} (time.perf_counter: one clock for every process here).
"""
import argparse
import asyncio
import json
import sys
import time

import aiohttp

from runner.trace import describe, header_time


class Client:
    """The child's event loop side: sessions by round, requests by id."""

    def __init__(self, timeout, out):
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.out = out
        self.sessions = {}
        self.tasks = {}

    def session(self, key):
        if key not in self.sessions:
            # limit=0: every tap is on the wire at once, so the queue forms at the server
            self.sessions[key] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), timeout=self.timeout)
        return self.sessions[key]

    def handle(self, message):
        op = message.get("op")
        if op == "send":
            task = asyncio.ensure_future(self.fetch(message["id"], message["key"], message["url"]))
            self.tasks[message["id"]] = task
            task.add_done_callback(lambda _t, rid=message["id"]: self.tasks.pop(rid, None))
        elif op == "cancel" and message.get("id") in self.tasks:
            self.tasks[message["id"]].cancel()
        elif op == "forget":
            session = self.sessions.pop(message.get("key"), None)
            if session is not None:
                asyncio.ensure_future(session.close())

    def reply(self, rid, result):
        self.out.write(json.dumps({"id": rid, **result}) + "\n")
        self.out.flush()

    async def fetch(self, rid, key, url):
        start = time.perf_counter()
        try:
            async with self.session(key).get(url) as response:
                await response.read()
                end = time.perf_counter()
                headers = response.headers
                error = None if response.status < 400 else f"HTTP {response.status} from {url}"
                self.reply(rid, {"client_start": start, "client_end": end,
                                 "server_start": header_time(headers, "X-Server-Start"),
                                 "server_end": header_time(headers, "X-Server-End"),
                                 "worker": headers.get("X-Worker"), "error": error})
        except asyncio.CancelledError:
            self.reply(rid, {"client_start": start, "client_end": time.perf_counter(),
                             "error": "cancelled: the round ended before the answer"})
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            error = "timed out" if isinstance(exc, asyncio.TimeoutError) else describe(exc, url)
            self.reply(rid, {"client_start": start, "client_end": time.perf_counter(),
                             "error": error})

    async def close(self):
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        for session in self.sessions.values():
            await session.close()


async def serve(timeout):
    client = Client(timeout, sys.stdout)
    reader = asyncio.StreamReader(limit=1 << 20)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            client.handle(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a line the parent writes
    await client.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Send crowd requests (the app starts this).")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.timeout))


if __name__ == "__main__":
    main()
