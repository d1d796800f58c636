"""asyncio + aiohttp with a Semaphore: at most `limit` requests in flight."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(url):
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:  # waits; other tasks run
            response.raise_for_status()
            return await response.text()


async def bounded_fetch(semaphore, url):
    async with semaphore:  # waits while `limit` requests are in flight
        return await fetch(url)


async def fetch_each(urls, limit):
    semaphore = asyncio.Semaphore(limit)
    tasks = (bounded_fetch(semaphore, url) for url in urls)
    return await asyncio.gather(*tasks)


def fetch_all(urls, limit):
    return asyncio.run(fetch_each(urls, limit))


if __name__ == "__main__":
    main(fetch_all)
