"""Audience load: N followers on /ws while the presenter changes slides and runs a big demo.

    python -m bench.audience [--followers 500] [--slides 20] [--requests 1000] [--delay 0.5]

Starts the real app (`python app.py`) on a free loopback port, opens the presenter's socket
(cookie from /presenter?token=...) and N audience sockets spread over a few client processes,
then: K slide changes, paced; one `asyncio_session` run of --requests requests. Prints a table:
followers connected, slide-change and span-event latencies, events missed live / recovered from
GET /api/runs/<id> / lost, and the app's RSS. Goals from issues 3 and 5 are shown beside them.
"""
import argparse
import asyncio
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from bench.audience_app import (AppServer, Footprint, Meter, busy_fraction, load_average,
                                raise_file_limit, wait_until_quiet)
from bench.audience_crowd import Crowd
from bench.audience_report import run_events, summarise, table

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass
class Options:
    followers: int = 500
    slides: int = 20
    pace: float = 0.1  # seconds between slide changes
    requests: int = 1000
    delay: float = 0.5
    demo: str = "asyncio_session"
    server: str = "asyncio"
    processes: int = 0  # follower processes; 0: one per 500 followers, at least 1
    deadline: float = 300.0  # the whole measurement, connecting to last result
    quiet: float = 0.0  # seconds to wait for an idle machine before starting
    compress: bool = True  # offer permessage-deflate, as browsers do

    def compress_bits(self):
        """aiohttp's `compress`: a window size offers permessage-deflate, 0 does not."""
        return 15 if self.compress else 0

    def parts(self):
        count = self.processes or max(1, min(4, math.ceil(self.followers / 500)))
        size, extra = divmod(self.followers, count)
        return [size + (i < extra) for i in range(count) if size + (i < extra)]


class Presenter:
    """The presenter's socket: sends goto/run, records every broadcast it gets back. The app
    may drop it too (a full queue): then the run's start and end come from the HTTP API."""

    def __init__(self, ws, session, url):
        self.ws, self.session, self.url = ws, session, url
        self.hello = None
        self.closed = False
        self.seen = []
        self.sent = {}  # slide -> time.time() just before the goto went out
        self.changed = asyncio.Event()

    async def read(self):
        async for frame in self.ws:  # blocking
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            self.hello = self.hello or message
            self.seen.append(message)
            self.changed.set()
        self.closed = True
        self.changed.set()

    async def wait_for(self, predicate, timeout, fallback=None):
        """The first recorded message matching `predicate`, waiting up to `timeout` seconds;
        once the socket is closed, whatever `fallback()` finds (None: keep waiting)."""
        give_up = time.monotonic() + timeout
        checked = 0
        while True:
            found = next((m for m in self.seen[checked:] if predicate(m)), None)
            if found is None and self.closed and fallback is not None:
                found = await fallback()
            if found is not None:
                return found
            checked = len(self.seen)
            self.changed.clear()
            if (left := give_up - time.monotonic()) <= 0:
                raise TimeoutError(f"presenter: nothing matched in {timeout:g} s; "
                                   f"last {self.seen[-3:]}")
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 0.5))
            except asyncio.TimeoutError:
                pass

    async def send(self, message):
        await self.ws.send_str(json.dumps(message))

    async def change_slides(self, count, pace):
        """`count` gotos, `pace` seconds apart, to slides other than the current one."""
        here = (await self.wait_for(lambda m: m["type"] == "hello", 10))["slide"]
        targets = [s for s in range(1, count + 2) if s != here][:count]
        for slide in targets:
            self.sent[slide] = time.time()
            await self.send({"type": "goto", "slide": slide})
            await asyncio.sleep(pace)  # pacing the presenter, not synchronising
        last = targets[-1] if targets else here
        await self.wait_for(lambda m: m["type"] == "slide" and m["slide"] == last, 10)

    async def run(self, options, timeout):
        """Start the demo run; returns (run_start, run_end) as broadcast (or as recorded)."""
        params = {"n": options.requests, "delay": options.delay, "server": options.server,
                  "timeout": min(600.0, timeout)}
        await self.send({"type": "run", "demo": options.demo, "panel": "bench", "params": params})
        start = await self.wait_for(lambda m: m["type"] in ("run_start", "reject"), 10,
                                    self.recorded_start)
        if start["type"] == "reject":
            raise RuntimeError(f"the run was refused: {start['reason']}")
        end = await self.wait_for(lambda m: m["type"] == "run_end" and m["run"] == start["run"],
                                  timeout + 30, lambda: self.recorded_end(start["run"]))
        return start, end

    async def recorded_start(self):
        """Our run from GET /api/runs: the newest one the hello did not list."""
        known = {run["id"] for run in self.hello["runs"]}
        async with self.session.get(f"{self.url}/api/runs", timeout=HTTP_TIMEOUT) as response:
            response.raise_for_status()
            ours = [run for run in await response.json() if run["id"] not in known]
        return {"type": "run_start", "run": ours[-1]["id"], "seq": None} if ours else None

    async def recorded_end(self, run_id):
        """The run's end from GET /api/runs/<id>, once it has ended."""
        record = await run_record(self.session, self.url, run_id)
        if record["status"] == "running":
            return None
        return {"type": "run_end", "run": run_id, "seq": record["last_seq"],
                "status": record["status"], "total": record["total"]}


async def presenter_cookie(session, url, token):
    """The cookie a browser gets from /presenter?token=... (303 to /presenter)."""
    async with session.get(f"{url}/presenter", params={"token": token},
                           allow_redirects=False, timeout=HTTP_TIMEOUT) as response:
        if response.status != 303 or "presenter" not in response.cookies:
            raise RuntimeError(f"/presenter?token= answered {response.status}, no cookie")
        return response.cookies["presenter"].value


async def run_record(session, url, run_id):
    async with session.get(f"{url}/api/runs/{run_id}", timeout=HTTP_TIMEOUT) as response:
        response.raise_for_status()
        return await response.json()


async def in_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def sample(footprint, every=0.2):
    while True:
        footprint.sample()
        await asyncio.sleep(every)  # a sampling period


async def measure(url, token, app_pid, options):
    """Run the whole scenario against the app at `url`; returns the summary dict."""
    give_up = time.monotonic() + options.deadline
    machine = {"busy_before": busy_fraction(0.5), "load_before": load_average()}
    footprint = Footprint(app_pid, urlsplit(url).port)
    footprint.sample()
    crowd = Crowd(url, options)
    sampler = asyncio.create_task(sample(footprint))
    try:
        crowd.start()
        async with aiohttp.ClientSession() as session:
            cookie = await presenter_cookie(session, url, token)
            async with session.ws_connect(f"{url}/ws", origin=url, max_msg_size=0,
                                          compress=options.compress_bits(),
                                          headers={"Cookie": f"presenter={cookie}"}) as ws:
                presenter = Presenter(ws, session, url)
                reader = asyncio.create_task(presenter.read())
                phases = await scenario(crowd, presenter, footprint, options, give_up)
                record = await run_record(session, url, phases["start"]["run"])
                if phases["start"]["seq"] is None:  # the presenter missed it: it came just
                    # before the run's first event (the bench broadcasts nothing in between)
                    phases["start"]["seq"] = min((e["seq"] for e in run_events(record)),
                                                 default=phases["end"]["seq"]) - 1
                await ws.close()
                await reader
    except BaseException:
        crowd.stop.set()  # no run_end will come: the followers must not wait for it
        raise
    finally:
        sampler.cancel()
        await asyncio.wait([sampler])
        await in_thread(crowd.finish, max(1.0, give_up - time.monotonic()))
    return summarise(options, crowd, presenter, footprint, record, {**phases, **machine})


async def scenario(crowd, presenter, footprint, options, give_up):
    """Connected followers, then slides, then the run; returns timings of each phase."""
    await in_thread(crowd.collect, "ready", max(1.0, give_up - time.monotonic()))
    if crowd.failures:
        raise RuntimeError("; ".join(crowd.failures))
    hello = await presenter.wait_for(lambda m: m["type"] == "hello", 10)
    if hello["role"] != "presenter":
        raise RuntimeError("the presenter's socket was not recognised as the presenter's")
    footprint.sample()
    connected_rss = dict(footprint.peak)
    with Meter(os.getpid()) as slides_load:
        await presenter.change_slides(options.slides, options.pace)
    await asyncio.sleep(1.0)  # the last slide's fan-out settles before the run starts
    cpu_before, started = footprint.worker_cpu(), time.perf_counter()
    with Meter(os.getpid()) as run_load:
        start, end = await presenter.run(options, max(10.0, give_up - time.monotonic() - 30))
    return {"start": start, "end": end, "connected_rss": connected_rss,
            "run_seconds": time.perf_counter() - started,
            "run_cpu": footprint.worker_cpu() - cpu_before,
            "slides_load": slides_load, "run_load": run_load}


def parse_args(argv=None):
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench.audience",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=defaults.followers,
                        help="audience sockets (1-1000)")
    parser.add_argument("--slides", type=int, default=defaults.slides, help="slide changes")
    parser.add_argument("--pace", type=float, default=defaults.pace,
                        help="seconds between slide changes")
    parser.add_argument("--requests", type=int, default=defaults.requests,
                        help="requests in the demo run (n)")
    parser.add_argument("--delay", type=float, default=defaults.delay,
                        help="seconds the slow server sleeps per request")
    parser.add_argument("--demo", default=defaults.demo, help="the demo to run")
    parser.add_argument("--server", default=defaults.server, choices=("asyncio", "gunicorn"))
    parser.add_argument("--processes", type=int, default=defaults.processes,
                        help="follower processes (default: one per 500 followers)")
    parser.add_argument("--deadline", type=float, default=defaults.deadline,
                        help="seconds for the whole measurement")
    parser.add_argument("--quiet", type=float, default=defaults.quiet,
                        help="wait up to this many seconds for the machine to be idle first")
    parser.add_argument("--no-compress", dest="compress", action="store_false",
                        help="do not offer permessage-deflate (browsers do)")
    parser.add_argument("--app-arg", action="append", default=[],
                        help="extra argument for app.py (repeatable), e.g. --app-arg=--queue-size=4096")
    parser.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args(argv)
    checks = [(1 <= args.followers <= 1000, "--followers must be 1-1000"),
              (1 <= args.slides <= 30, "--slides must be 1-30 (the goto burst limit)"),
              (0.05 <= args.pace <= 5, "--pace must be 0.05-5 s"),
              (1 <= args.requests <= 10_000, "--requests must be 1-10000"),
              (0 <= args.delay <= 30, "--delay must be 0-30 s"),
              (0 <= args.processes <= 8, "--processes must be 0-8"),
              (10 <= args.deadline <= 1800, "--deadline must be 10-1800 s"),
              (0 <= args.quiet <= 3600, "--quiet must be 0-3600 s")]
    for ok, reason in checks:
        if not ok:
            parser.error(reason)
    return args


def main(argv=None):
    args = parse_args(argv)
    options = Options(**{k: v for k, v in vars(args).items() if k not in ("app_arg", "json")})
    raise_file_limit()
    if options.quiet:
        wait_until_quiet(0.15, options.quiet)
    with AppServer(args.app_arg) as app:
        summary = asyncio.run(measure(app.url, app.token, app.pid, options))
    print(table(summary, " ".join(["python -m bench.audience", *sys.argv[1:]])))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(summary, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
