"""asyncio.to_thread: the blocking call runs in a worker thread, and the
loop goes on with the other tasks meanwhile."""
import asyncio

import requests

from demos.cli import main


async def fetch(url):
    # blocking, but in a thread of the loop's executor: this task waits
    response = await asyncio.to_thread(requests.get, url)
    response.raise_for_status()
    return response.text


async def fetch_each(urls):
    return await asyncio.gather(*(fetch(url) for url in urls))


def fetch_all(urls):
    return asyncio.run(fetch_each(urls))


if __name__ == "__main__":
    main(fetch_all)
