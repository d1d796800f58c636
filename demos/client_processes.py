"""A Pool of `limit` processes: each request runs in a child process, results come back pickled."""
from multiprocessing import Pool

import requests

from demos.cli import main


def fetch(url):
    response = requests.get(url)  # blocking, but only this child process waits
    response.raise_for_status()
    return response.text


def fetch_all(urls, limit):
    with Pool(processes=limit) as pool:
        # chunksize=1: the default hands each child a batch, so 30 URLs take 12 s, not 10
        return pool.map(fetch, urls, chunksize=1)  # blocking; re-raises a child's error


if __name__ == "__main__":
    main(fetch_all)
