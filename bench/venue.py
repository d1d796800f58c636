"""A venue on one machine: N phones behind one shaped link, in a network namespace of our own.

    python -m bench.venue [--phones 100] [--rate 20mbit] [--requests 1000] [--runs 30]

Builds a network namespace (named after this process) joined to the host by a veth pair with
addresses of its own (10.213.X.1/30 on the host end, .2 inside; nothing else is touched),
shapes both directions with `tc htb` (netem does not exist on these kernels), serves the real
app on the host end's address, and runs the phones inside (bench/venue_phones.py). Measures:
  (a) all phones open the URL at once: seconds until each has the first slide (page, every
      asset it references, the deck, /api/demos, the WebSocket hello), bytes per phone;
  (b) a run of --requests requests: seconds from the app sending run_end (its `at`) to the last
      phone having it, bytes per follower;
  (c) with --runs runs recorded, every phone drops its socket and reconnects at once: seconds
      until every one is in sync (hello at the room's seq, every run, the slide's run in detail).
Bytes are what the namespace's interface received (rx_bytes), divided by the phones. Needs root:
without it (or without namespaces) it says so in one line and exits 0. It removes what it made,
also on an error or Ctrl-C.
"""
import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import requests

from harness.app_process import AppProcess
from bench.audience_report import percentile
from live.slides import panels_by_slide

ONE_ADDRESS = ["--max-conns-per-client", "0", "--max-ws-per-client", "0"]
TOKEN = "bench-venue-token-3b9d"
GOALS = {"first_slide": 10.0, "run_end": 2.0, "reconnect": 5.0, "first_bytes": 230_000,
         "run_bytes": 40_000}
ROOT = Path(__file__).resolve().parent.parent
DECK = ROOT / "slides" / "talk.md"


def sh(*argv, namespace=None, check=True):
    """Run a command (inside `namespace` if given); its stdout."""
    if namespace:
        argv = ("ip", "netns", "exec", namespace, *argv)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


class Venue:
    """The namespace, its veth pair and the shaping; `remove()` undoes all of it."""

    def __init__(self, rate):
        pid = os.getpid()
        self.name = f"cl-venue-{pid}"
        self.host_if, self.phone_if = f"clv{pid % 100000}h", f"clv{pid % 100000}p"
        subnet = 4 * (pid % 64)
        third = 1 + pid // 64 % 250
        self.host_ip, self.phone_ip = f"10.213.{third}.{subnet + 1}", f"10.213.{third}.{subnet + 2}"
        self.rate = rate
        self.made = []

    def build(self):
        sh("ip", "netns", "add", self.name)
        self.made.append("netns")
        sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.phone_if)
        self.made.append("veth")
        sh("ip", "link", "set", self.phone_if, "netns", self.name)
        sh("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        sh("ip", "link", "set", self.host_if, "up")
        for command in (("ip", "addr", "add", f"{self.phone_ip}/30", "dev", self.phone_if),
                        ("ip", "link", "set", self.phone_if, "up"),
                        ("ip", "link", "set", "lo", "up")):
            sh(*command, namespace=self.name)
        self.shape(self.host_if)  # to the phones
        self.shape(self.phone_if, self.name)  # from the phones
        return self

    def shape(self, interface, namespace=None):
        """One htb class at `rate` for everything leaving `interface` (a shared Wi-Fi cell)."""
        sh("tc", "qdisc", "add", "dev", interface, "root", "handle", "1:", "htb", "default", "10",
           namespace=namespace)
        sh("tc", "class", "add", "dev", interface, "parent", "1:", "classid", "1:10", "htb",
           "rate", self.rate, "ceil", self.rate, namespace=namespace)

    def rx_bytes(self):
        """Bytes the phones' end has received so far."""
        return int(sh("cat", f"/sys/class/net/{self.phone_if}/statistics/rx_bytes",
                      namespace=self.name))

    def remove(self):
        if "veth" in self.made:
            sh("ip", "link", "del", self.host_if, check=False)  # also gone with the namespace
        if "netns" in self.made:
            sh("ip", "netns", "del", self.name, check=False)
        self.made = []


class Phones:
    """The phones' process inside the namespace, driven one JSON line at a time."""

    def __init__(self, venue, url, count):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", venue.name, sys.executable, "-m", "bench.venue_phones",
             url, str(count)], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, start_new_session=True)  # a Ctrl-C reaches us, and we stop it

    def ask(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()  # blocking
        if not line:
            raise RuntimeError("the phones' process ended")
        return json.loads(line)

    def stop(self):
        """End it at once, whatever it is doing (its sockets close with it)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass  # its reader is gone


def post_run(app, body):
    response = requests.post(f"{app.url}/api/runs", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {app.token}"})
    response.raise_for_status()
    return response.json()["id"]


def wait_idle(app):
    while requests.get(f"{app.url}/api/state", timeout=30).json()["active"] is not None:
        time.sleep(0.2)  # polling a condition (set-up, not a measure)


def goto(app, slide):
    """Move the room with a presenter socket of our own (from the host side)."""
    asyncio.run(goto_async(app, slide))


async def goto_async(app, slide):
    headers = {"Authorization": f"Bearer {app.token}"}
    async with aiohttp.ClientSession() as session, \
            session.ws_connect(app.ws_url, headers=headers) as ws:
        await ws.receive_json(timeout=10)  # hello
        await ws.send_json({"type": "goto", "slide": slide})
        while (await ws.receive_json(timeout=10)).get("type") != "slide":
            pass


def measure(venue, app, phones, options):
    rows = {}
    before = venue.rx_bytes()
    answer = phones.ask(do="load")
    rows["a"] = phase(answer, venue.rx_bytes() - before, options.phones)

    slide, panel = panel_slide("asyncio_session")
    goto(app, slide)
    before = venue.rx_bytes()
    run_id = post_run(app, {"demo": "asyncio_session", "panel": panel, "n": options.requests,
                            "delay": 0.5, "server": "asyncio", "timeout": 600})
    answer = phones.ask(do="watch", run=run_id)
    rows["b"] = phase(answer, venue.rx_bytes() - before, options.phones)

    for k in range(options.runs - 1):  # small runs, so the history is `runs` long
        wait_idle(app)
        post_run(app, {"demo": "threads", "n": 3, "delay": 0.05})
    wait_idle(app)
    room = requests.get(f"{app.url}/api/state", timeout=30).json()
    total = len(requests.get(f"{app.url}/api/runs", timeout=30).json())
    before = venue.rx_bytes()
    answer = phones.ask(do="reconnect", seq=room["seq"], runs=total, shown=run_id)
    rows["c"] = phase(answer, venue.rx_bytes() - before, options.phones)
    rows["c"]["runs"] = total
    return rows


def phase(answer, rx, count):
    values = [value for value in answer["values"] if value is not None]
    return {"times": values, "errors": answer["errors"], "rx_per_phone": rx / count,
            "payload_per_phone": sum(answer["wire_bytes"]) / count, "retries": answer["retries"]}


def panel_slide(demo):
    """(slide, panel) of the first panel of `demo` in the app's deck."""
    for index, panels in enumerate(panels_by_slide(DECK.read_text(encoding="utf-8"))):
        for panel, kind in panels:
            if kind == demo:
                return index, panel
    raise RuntimeError(f"no {demo} panel in {DECK}")


def seconds(values, q):
    value = percentile(values, q)
    return "-" if value is None else f"{value:.2f}"


def table(options, rows, load):
    a, b, c = rows["a"], rows["b"], rows["c"]
    lines = [f"{options.phones} phones over {options.rate} (tc htb both ways), app on the host "
             f"end of a veth pair; load before {load}", "",
             "| measure | p50 | max | goal | met | errors |",
             "| --- | --- | --- | --- | --- | --- |",
             f"| (a) first slide, s | {seconds(a['times'], 0.5)} | {seconds(a['times'], 1)} | "
             f"<= {GOALS['first_slide']:g} | {met(a['times'], GOALS['first_slide'], options)} "
             f"| {len(a['errors'])} |",
             f"| (a) bytes per phone (rx) | {a['rx_per_phone'] / 1000:.0f} KB | | "
             f"<= {GOALS['first_bytes'] / 1000:.0f} KB | "
             f"{'yes' if a['rx_per_phone'] <= GOALS['first_bytes'] else 'no'} | |",
             f"| (b) run_end -> phone, s ({options.requests} requests) | "
             f"{seconds(b['times'], 0.5)} | {seconds(b['times'], 1)} | <= {GOALS['run_end']:g} | "
             f"{met(b['times'], GOALS['run_end'], options)} | {len(b['errors'])} |",
             f"| (b) bytes per follower (rx; payload {b['payload_per_phone'] / 1000:.1f} KB) | "
             f"{b['rx_per_phone'] / 1000:.1f} KB | | <= {GOALS['run_bytes'] / 1000:.0f} KB | "
             f"{'yes' if b['rx_per_phone'] <= GOALS['run_bytes'] else 'no'} | |",
             f"| (c) reconnect, {c['runs']} runs, in sync, s | {seconds(c['times'], 0.5)} | "
             f"{seconds(c['times'], 1)} | <= {GOALS['reconnect']:g} | "
             f"{met(c['times'], GOALS['reconnect'], options)} | {len(c['errors'])} |",
             f"| (c) bytes per phone (rx) | {c['rx_per_phone'] / 1000:.1f} KB | | | | |"]
    errors = a["errors"] + b["errors"] + c["errors"]
    lines += ["", f"GETs tried again on a closed kept-alive connection: {a['retries']} "
              f"(all phases, cumulative: {c['retries']})"]
    if errors:
        lines += ["", f"first error: {errors[0]}"]
    return "\n".join(lines)


def met(times, goal, options):
    if len(times) < options.phones:
        return "no (some phones failed)"
    return "yes" if max(times) <= goal else "no"


def loadavg():
    with open("/proc/loadavg", encoding="ascii") as source:
        return source.read().split()[:3]


def interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--rate", default="20mbit", help="tc rate of the shared link")
    parser.add_argument("--requests", type=int, default=1000, help="requests of the run in (b)")
    parser.add_argument("--runs", type=int, default=30, help="runs recorded before (c)")
    options = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench.venue: skipped: building a network namespace needs root")
        return None
    signal.signal(signal.SIGTERM, interrupt)
    venue = Venue(options.rate)
    try:
        venue.build()
    except (RuntimeError, OSError) as exc:
        venue.remove()
        print(f"bench.venue: skipped: cannot build the network namespace ({exc})")
        return None
    app = phones = None
    folder = tempfile.TemporaryDirectory(prefix="venue-bench-")
    try:
        load = loadavg()
        # Every phone of the namespace leaves from its one address: a room behind one NAT,
        # which the per-client caps would refuse (README: "Rooms behind one NAT").
        app = AppProcess(["--host", venue.host_ip, "--deck", str(DECK), *ONE_ADDRESS],
                         folder.name, TOKEN)
        app.start()
        phones = Phones(venue, app.url, options.phones)
        rows = measure(venue, app, phones, options)
        print(table(options, rows, load))
        return rows
    finally:
        if phones is not None:
            phones.stop()
        if app is not None:
            app.stop()
        venue.remove()
        folder.cleanup()


if __name__ == "__main__":
    main()
