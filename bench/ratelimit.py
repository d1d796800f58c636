"""How exact the slow server's rate limit is: `python -m bench.ratelimit [--seconds 5]`.

For each server (gunicorn -w 3 --preload with one shared token bucket, and the asyncio server)
and each rate, a flood of clients with no delay sends as fast as it can for `--seconds`; the
table compares the requests accepted (200) with what a token bucket allows: a burst of `rate`
plus `rate` per second. Per-worker buckets would accept about W times as many.
"""
import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from runner.serve import start_asyncio_server, start_gunicorn

CLIENTS = 12


def flood(url, seconds):
    """(accepted, refused, the Retry-After values seen) from CLIENTS threads for `seconds`."""
    stop = time.monotonic() + seconds

    def client(_):
        ok = refused = 0
        retry = set()
        with requests.Session() as session:
            while time.monotonic() < stop:
                answer = session.get(url + "?delay=0", timeout=10)
                if answer.status_code == 429:
                    refused += 1
                    retry.add(answer.headers.get("Retry-After"))
                else:
                    ok += 1
        return ok, refused, retry

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))
    return (sum(r[0] for r in results), sum(r[1] for r in results),
            set().union(*(r[2] for r in results)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="5,20,50")
    args = parser.parse_args(argv)
    print("| server | rate (/s) | seconds | accepted | bucket allows | refused (429) | Retry-After |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rate in (float(r) for r in args.rates.split(",")):
        for name, start in (("gunicorn -w 3", lambda: start_gunicorn(3, rate=rate)),
                            ("asyncio", lambda: start_asyncio_server(rate=rate))):
            with start() as server:
                begun = time.monotonic()
                accepted, refused, retry = flood(server.url, args.seconds)
                took = time.monotonic() - begun
            allows = rate + rate * took
            print(f"| {name} | {rate:g} | {took:.2f} | {accepted} | {allows:.0f} | {refused} | "
                  f"{', '.join(sorted(filter(None, retry)))} |", flush=True)
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
