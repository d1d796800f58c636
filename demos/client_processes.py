"""A Pool of `limit` processes: each request runs in a child process."""
from multiprocessing import Pool

import requests

from demos.cli import main


def fetch(url):
    response = requests.get(url)  # blocking, but only this child waits
    response.raise_for_status()
    return response.text


def fetch_all(urls, limit):
    with Pool(processes=limit) as pool:
        # chunksize=1: by default each child takes a batch of URLs
        # and sends them one by one while another child may sit idle.
        # blocking; map() re-raises a child's exception here
        return pool.map(fetch, urls, chunksize=1)


if __name__ == "__main__":
    main(fetch_all)
