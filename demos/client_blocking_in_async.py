"""A blocking call inside a coroutine: requests.get never gives the event
loop back, so the tasks run one after another. n × delay, again."""
import asyncio

import requests

from demos.cli import main


async def fetch(url):
    response = requests.get(url)  # blocking: the whole loop waits here
    response.raise_for_status()
    return response.text


async def fetch_each(urls):
    return await asyncio.gather(*(fetch(url) for url in urls))


def fetch_all(urls):
    return asyncio.run(fetch_each(urls))


if __name__ == "__main__":
    main(fetch_all)
