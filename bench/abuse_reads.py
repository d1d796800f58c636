"""Reads never block the room (issue 14, item 3): clients looping on the biggest run while
followers time slide changes and a poller times GET /api/state.

    python -m bench.abuse_reads [--readers 30] [--requests 10000] [--followers 20]
                                [--changes 40] [--pace 0.25] [--encoding identity]

Starts the real app on a free loopback port in a temporary instance folder, records one run of
--requests requests (asyncio_session on the asyncio slow server), then measures twice: quiet
(no readers), and with --readers clients (threads over two processes, raw http.client, each
read discarded) looping on GET /api/runs/<id> of that run. In both phases the presenter's socket
sends --changes slide changes, --pace seconds apart; followers time each from the presenter's
send to their receipt (one clock: one process), and a poller times GET /api/state every 50 ms.
Prints a markdown table. Goals (issue 14): slide-change p99 <= 100 ms, /api/state p99 <= 50 ms.
"""
import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import threading
import time
from urllib.parse import urlsplit

import aiohttp

from bench.audience_app import AppServer, raise_file_limit
from bench.audience_report import percentile

GOALS = {"slide_p99": 0.100, "state_p99": 0.050}
POLL = 0.05  # seconds between GET /api/state


def read_loop(url, path, threads, seconds, encoding, out):
    """A reader process: `threads` clients looping on GET `path` for `seconds`; puts
    (requests, bytes, errors) on `out`."""
    parts = urlsplit(url)
    totals = {"requests": 0, "bytes": 0, "errors": 0}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        done = size = errors = 0
        while time.monotonic() < stop:
            try:
                connection.request("GET", path, headers={"Accept-Encoding": encoding})
                response = connection.getresponse()
                while chunk := response.read(256 * 1024):  # blocking
                    size += len(chunk)
                done += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.close()
        with lock:
            totals["requests"] += done
            totals["bytes"] += size
            totals["errors"] += errors

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put(totals)


async def record_run(session, app, requests_count):
    """Run the big demo once and wait for its end; returns its id."""
    headers = {"Authorization": f"Bearer {app.token}"}
    body = {"demo": "asyncio_session", "n": requests_count, "delay": 0.2, "server": "asyncio",
            "timeout": 600}
    async with session.post(f"{app.url}/api/runs", json=body, headers=headers) as response:
        run_id = (await response.json())["id"]
    while True:
        async with session.get(f"{app.url}/api/state") as response:
            if (await response.json())["active"] is None:
                return run_id
        await asyncio.sleep(0.2)  # polling a condition (the bench's set-up, not a measure)


async def follow(ws, received, stop):
    """One follower: the receipt time of every slide change (readable frames only matter)."""
    async for frame in ws:
        if frame.type != aiohttp.WSMsgType.TEXT:
            break
        if frame.data.startswith('{"type":"slide"'):
            slide = json.loads(frame.data)["slide"]
            received.append((slide, time.perf_counter()))
        if stop.is_set():
            break


async def poll_state(session, url, times, stop):
    while not stop.is_set():
        started = time.perf_counter()
        async with session.get(f"{url}/api/state") as response:
            await response.read()
        times.append(time.perf_counter() - started)
        await asyncio.sleep(POLL)


async def phase(session, app, options, readers):
    """One measurement: slide-change latencies, state latencies, reads done."""
    out = multiprocessing.Queue()
    procs = []
    seconds = options.changes * options.pace + 3
    if readers:
        path = f"/api/runs/{options.run_id}"
        split = [readers // 2 + readers % 2, readers // 2]
        procs = [multiprocessing.Process(target=read_loop, args=(
            app.url, path, n, seconds, options.encoding, out)) for n in split if n]
        for proc in procs:
            proc.start()
        await asyncio.sleep(1.0)  # let the readers get going
    presenter = await session.ws_connect(app.ws_url, headers={
        "Authorization": f"Bearer {app.token}", "Origin": app.url})
    hello = json.loads((await presenter.receive()).data)
    followers = [await session.ws_connect(app.ws_url, headers={"Origin": app.url},
                                          max_msg_size=0) for _ in range(options.followers)]
    for ws in followers:
        await ws.receive()  # hello
    stop = asyncio.Event()
    received = [[] for _ in followers]
    tasks = [asyncio.create_task(follow(ws, got, stop)) for ws, got in zip(followers, received)]
    state_times = []
    poller = asyncio.create_task(poll_state(session, app.url, state_times, stop))
    sent = []
    for k in range(options.changes):
        slide = 1 + (hello["slide"] + 1 + k) % 5  # never the slide we are on: each one is sent
        sent.append((slide, time.perf_counter()))
        await presenter.send_str(json.dumps({"type": "goto", "slide": slide}))
        await asyncio.sleep(options.pace)
    await asyncio.sleep(1.0)
    stop.set()
    poller.cancel()
    for ws in [presenter, *followers]:
        await ws.close()
    for task in tasks:
        task.cancel()
    reads = {"requests": 0, "bytes": 0, "errors": 0}
    for proc in procs:
        got = out.get(timeout=seconds + 60)
        for key in reads:
            reads[key] += got[key]
        proc.join()
    return summarize(sent, received, state_times, reads, seconds)


def summarize(sent, received, state_times, reads, seconds):
    """Each follower's k-th slide change is the presenter's k-th goto (the hub keeps order)."""
    latencies, missed = [], 0
    for got in received:
        for (slide, at), (want, then) in zip(got, sent):
            assert slide == want, (slide, want)
            latencies.append(at - then)
        missed += len(sent) - len(got)
    return {"slide_p50": percentile(latencies, 0.5), "slide_p99": percentile(latencies, 0.99),
            "slide_max": max(latencies, default=None), "missed": missed,
            "state_p50": percentile(state_times, 0.5), "state_p99": percentile(state_times, 0.99),
            "state_max": max(state_times, default=None), "reads": reads["requests"],
            "read_errors": reads["errors"], "read_mb_s": reads["bytes"] / seconds / 1e6}


async def measure(app, options):
    timeout = aiohttp.ClientTimeout(total=900)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        options.run_id = await record_run(session, app, options.requests)
        async with session.get(f"{app.url}/api/runs/{options.run_id}",
                               headers={"Accept-Encoding": "identity"}) as response:
            size = len(await response.read())
        rows = [("quiet", await phase(session, app, options, 0)),
                (f"{options.readers} readers", await phase(session, app, options, options.readers))]
    return size, rows


def ms(value):
    return "-" if value is None else f"{value * 1000:.1f}"


def table(options, size, rows):
    lines = [f"run {options.run_id}: {options.requests} requests, GET /api/runs/<id> "
             f"{size / 1e6:.2f} MB (identity); readers ask for `{options.encoding}`; "
             f"{options.followers} followers, {options.changes} slide changes "
             f"{options.pace} s apart", "",
             "| phase | slide p50 ms | slide p99 ms | slide max ms | missed | state p50 ms "
             "| state p99 ms | state max ms | reads | read MB/s | read errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in rows:
        lines.append(f"| {name} | {ms(row['slide_p50'])} | {ms(row['slide_p99'])} | "
                     f"{ms(row['slide_max'])} | {row['missed']} | {ms(row['state_p50'])} | "
                     f"{ms(row['state_p99'])} | {ms(row['state_max'])} | {row['reads']} | "
                     f"{row['read_mb_s']:.1f} | {row['read_errors']} |")
    last = rows[-1][1]
    lines += ["", f"goals: slide p99 <= {GOALS['slide_p99'] * 1000:.0f} ms "
              f"({'met' if (last['slide_p99'] or 1e9) <= GOALS['slide_p99'] else 'NOT met'}), "
              f"/api/state p99 <= {GOALS['state_p99'] * 1000:.0f} ms "
              f"({'met' if (last['state_p99'] or 1e9) <= GOALS['state_p99'] else 'NOT met'}); "
              f"load {loadavg()}"]
    return "\n".join(lines)


def loadavg():
    with open("/proc/loadavg", encoding="ascii") as source:
        return source.read().split()[:3]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=30)
    parser.add_argument("--requests", type=int, default=10000, help="requests of the big run")
    parser.add_argument("--followers", type=int, default=20)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--pace", type=float, default=0.25, help="seconds between changes")
    parser.add_argument("--encoding", default="identity", choices=["identity", "gzip", "br"],
                        help="what the readers accept")
    options = parser.parse_args(argv)
    raise_file_limit()
    with AppServer() as app:
        size, rows = asyncio.run(measure(app, options))
    print(table(options, size, rows))
    return rows


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
