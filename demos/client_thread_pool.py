"""A pool of `limit` threads takes the requests in turn; futures hold the
results. Each request gives up after `timeout` seconds without data."""
from concurrent.futures import ThreadPoolExecutor

import requests

from demos.cli import main


def fetch(url, timeout):
    # blocking, but only this worker waits, and at most `timeout` per read
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return response.text


def fetch_all(urls, limit, timeout):
    with ThreadPoolExecutor(max_workers=limit) as pool:
        futures = [pool.submit(fetch, url, timeout) for url in urls]
        # blocking; result() re-raises a worker's exception here
        return [future.result() for future in futures]


if __name__ == "__main__":
    main(fetch_all)
