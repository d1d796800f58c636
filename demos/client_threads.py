"""A thread per request; each thread puts its result on a Queue."""
from queue import Queue
from threading import Thread

import requests

from demos.cli import main


def fetch(url, results):
    response = requests.get(url)  # blocking, but only this thread waits
    response.raise_for_status()  # raised in a thread: printed, then lost
    results.put(response.text)


def fetch_all(urls):
    results = Queue()
    threads = [Thread(target=fetch, args=(url, results)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # blocking
    return [results.get() for _ in range(results.qsize())]


if __name__ == "__main__":
    main(fetch_all)
