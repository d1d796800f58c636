"""Crowd round load: N audience devices tap at once against a gunicorn slow server with W
workers and delay d, while the presenter changes slides.

    python -m bench.crowd [--devices 300] [--workers 3] [--delay 1] [--gotos 60] [--pace 0.3]

Starts the real app (`python app.py`) on a free loopback port; opens the presenter's socket and
N device sockets over a few client processes (bench/crowd_devices.py); opens a round; every
device taps at the same moment; 1 s later (--leave-after) the presenter leaves the slide (which
ends new taps) and then changes slides every --pace seconds while the round's requests are
answered.
Prints a table: tap -> own row (the device's crowd_mine and a crowd_rows message holding its
row have both arrived), crowd event delivery to every device (`at` -> receipt), slide changes (presenter's send ->
each follower's receipt; the first one, during the tap burst, also alone), the app worker's
CPU and RSS, and the load average. Goals of issue 10 beside them.
"""
import argparse
import asyncio
import json
import math
import subprocess
import sys
import time

import aiohttp

from bench.audience_app import AppServer, Footprint, Meter, load_average, raise_file_limit
from bench.audience_report import spread

MB = 1024 * 1024
GOALS = {"row_p99": 0.200, "slide_p99": 0.100}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--server", default="gunicorn", choices=("gunicorn", "asyncio"))
    parser.add_argument("--gotos", type=int, default=60, help="slide changes during the round")
    parser.add_argument("--pace", type=float, default=0.3, help="seconds between slide changes")
    parser.add_argument("--processes", type=int, default=0, help="device processes (0: 1 per 100)")
    parser.add_argument("--leave-after", type=float, default=1.0,
                        help="seconds after the taps before the first slide change")
    parser.add_argument("--phone", action="store_true",
                        help="one more device: Chromium on a phone-sized page (CPU slowed 4x) "
                             "drawing the round; use with --leave-after 3")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


class Presenter:
    def __init__(self, ws):
        self.ws = ws
        self.messages = asyncio.Queue()
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                await self.messages.put(json.loads(msg.data))

    async def wait_for(self, predicate, timeout=60):
        async def find():
            while not predicate(message := await self.messages.get()):
                pass
            return message
        return await asyncio.wait_for(find(), timeout)

    async def goto(self, slide):
        """Send a goto; returns (seq of its broadcast, send time)."""
        sent = time.time()
        await self.ws.send_json({"type": "goto", "slide": slide})
        echo = await self.wait_for(lambda m: m["type"] == "slide" and m["slide"] == slide)
        return echo["seq"], sent


def start_devices(app, count):
    return subprocess.Popen([sys.executable, "-m", "bench.crowd_devices", app.ws_url, app.url,
                             str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def start_phone(app):
    return subprocess.Popen([sys.executable, "-m", "bench.crowd_phone", app.url],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def split(total, parts):
    size, extra = divmod(total, parts)
    return [size + (k < extra) for k in range(parts) if size + (k < extra)]


async def round_under_load(app, options, devices, footprint, crowd_slide=None):
    headers = {"Authorization": f"Bearer {app.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.ws_connect(app.ws_url, origin=app.url, max_msg_size=0) as ws:
            presenter = Presenter(ws)
            hello = await presenter.wait_for(lambda m: m["type"] == "hello")
            slide = hello["slide"]
            if crowd_slide is not None and crowd_slide != slide:
                await presenter.goto(crowd_slide)  # the phone follows, to see the panel
                slide = crowd_slide
            await ws.send_json({"type": "crowd_open", "panel": "c1", "slide": slide, "params": {
                "workers": options.workers, "delay": options.delay, "server": options.server}})
            await presenter.wait_for(lambda m: m["type"] == "crowd_round" and m["status"] == "open")
            at = time.time() + 1.0
            for process in devices:
                process.stdin.write(f"tap {at}\n")
                process.stdin.flush()
            cpu0, started = footprint.worker_cpu(), time.time()
            await asyncio.sleep(max(0.0, at + options.leave_after - time.time()))  # into the burst
            sent = {}
            for k in range(options.gotos):
                seq, when = await presenter.goto(slide + 1 + k % 2)
                sent[seq] = when
                footprint.sample()
                await asyncio.sleep(options.pace)  # pacing the slide changes
            cpu = footprint.worker_cpu() - cpu0
            window = time.time() - started
            await presenter.goto(slide)
            presenter.reader.cancel()
            return sent, cpu, window


def collect(devices):
    reports = []
    for process in devices:
        process.stdin.write("stop\n")
        process.stdin.flush()
        reports.append(json.loads(process.stdout.readline()))
        process.wait(30)
    return reports


def summarise(reports, sent):
    taps = [d for r in reports for d in r["devices"]]
    rows = [d["row_at"] - d["sent"] for d in taps if d["row_at"] is not None]
    mine = [d["mine_at"] - d["sent"] for d in taps if d["mine_at"] is not None]
    slides = [received - sent[seq] for r in reports for seq, received in r["slides"] if seq in sent]
    first = min(sent)
    burst = [received - sent[seq] for r in reports for seq, received in r["slides"] if seq == first]
    refused = {}
    for d in taps:
        if d["refused"]:
            refused[d["refused"]] = refused.get(d["refused"], 0) + 1
    return {"taps": len(taps), "rows": spread(rows), "mine": spread(mine), "refused": refused,
            "no_row": sum(1 for d in taps if d["row_at"] is None and not d["refused"]),
            "delivery": spread(x for r in reports for x in r["delays"]),
            "slides": spread(slides), "burst_slide": spread(burst),
            "missed_slides": len(sent) * len(taps) - len(slides)}


def ms(value):
    return "–" if value is None else f"{value * 1000:.1f}"


def three(figure):
    return " / ".join(ms(figure[k]) for k in ("p50", "p99", "max"))


def table(options, result):
    lines = [f"crowd round: {result['taps']} devices tap at once, {options.server} "
             f"W={options.workers}, d={options.delay:g} s; load average {result['load']}",
             "", "| figure | p50 / p99 / max (ms) | count | goal |", "| --- | --- | --- | --- |",
             f"| tap -> own row | {three(result['rows'])} | {result['rows']['count']} | "
             f"p99 ≤ {GOALS['row_p99'] * 1000:.0f} ms |",
             f"| tap -> crowd_mine (the app's answer to the tap) | {three(result['mine'])} | "
             f"{result['mine']['count']} | |",
             f"| crowd event `at` -> every device | {three(result['delivery'])} | "
             f"{result['delivery']['count']} | |",
             f"| slide change (all, during the round) | {three(result['slides'])} | "
             f"{result['slides']['count']} | p99 ≤ {GOALS['slide_p99'] * 1000:.0f} ms |",
             f"| first slide change, {options.leave_after:g} s after the taps | "
             f"{three(result['burst_slide'])} | "
             f"{result['burst_slide']['count']} | |",
             "",
             f"refused taps: {result['refused'] or 'none'}; taps with no row: {result['no_row']}; "
             f"slide changes missed: {result['missed_slides']}",
             f"app worker: CPU {result['cpu']:.2f} s in {result['window']:.1f} s "
             f"({100 * result['cpu'] / result['window']:.0f}% of a core), RSS peak "
             f"{result['rss'] / MB:.0f} MB, machine busy {100 * result['busy']:.0f}%, "
             f"others {100 * result['others']:.0f}%"]
    if "phone" in result:
        phone = result["phone"]
        lines.append(f"phone (Chromium 390x844, CPU 4x slower), 3 s after its tap: "
                     f"{phone['frames']} frames, worst gap {phone['worst_gap']:.0f} ms, p95 gap "
                     f"{phone['p95_gap']:.0f} ms, {phone['over_50ms']} over 50 ms; its own row "
                     f"drawn {phone['mine_ms']} ms after its tap")
    return "\n".join(lines)


def main(argv=None):
    options = parse_args(argv)
    raise_file_limit()
    parts = split(options.devices, options.processes or max(1, math.ceil(options.devices / 100)))
    with AppServer() as app:
        footprint = Footprint(app.pid, int(app.url.rsplit(":", 1)[1]))
        devices = [start_devices(app, count) for count in parts]
        phone = start_phone(app) if options.phone else None
        try:
            for process in devices:
                assert process.stdout.readline().strip() == "ready"
            crowd_slide = int(phone.stdout.readline().split()[1]) if phone else None
            footprint.sample()
            with Meter(app.pid) as busy:
                sent, cpu, window = asyncio.run(round_under_load(
                    app, options, devices + ([phone] if phone else []), footprint, crowd_slide))
            result = summarise(collect(devices), sent)
            if phone:
                phone.stdin.write("stop\n")
                phone.stdin.flush()
                result["phone"] = json.loads(phone.stdout.readline())
                phone.wait(30)
        finally:
            for process in devices + ([phone] if phone else []):
                if process.poll() is None:
                    process.kill()
        result.update(cpu=cpu, window=window, rss=footprint.peak["worker"],
                      load=" ".join(map(str, load_average())), **busy)
    print(table(options, result))
    if options.json:
        with open(options.json, "w") as out:
            json.dump(result, out, indent=1)
    return result


if __name__ == "__main__":
    main()
