"""asyncio + aiohttp with a Semaphore: at most `limit` requests in flight,
over one shared ClientSession."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(session, url):
    async with session.get(url) as response:  # waits; other tasks run
        response.raise_for_status()
        return await response.text()


async def bounded_fetch(semaphore, session, url):
    async with semaphore:  # waits while `limit` requests are in flight
        return await fetch(session, url)


async def fetch_each(urls, limit):
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:
        coros = (bounded_fetch(semaphore, session, url) for url in urls)
        return await asyncio.gather(*coros)


def fetch_all(urls, limit):
    return asyncio.run(fetch_each(urls, limit))


if __name__ == "__main__":
    main(fetch_all)
