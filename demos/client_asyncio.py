"""asyncio + aiohttp: a task per request, a ClientSession per request."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(url):
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:  # waits; other tasks run
            response.raise_for_status()
            return await response.text()


async def fetch_each(urls):
    return await asyncio.gather(*(fetch(url) for url in urls))


def fetch_all(urls):
    return asyncio.run(fetch_each(urls))


if __name__ == "__main__":
    main(fetch_all)
