"""A rate-limited API: start at most `rate` requests per second (one every
1/rate seconds), however many are in flight. No 429 comes back."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(session, url):
    async with session.get(url) as response:  # waits; other tasks run
        response.raise_for_status()
        return await response.text()


async def fetch_each(urls, rate):
    async with aiohttp.ClientSession() as session:
        tasks = []
        for url in urls:
            tasks.append(asyncio.create_task(fetch(session, url)))
            if rate:
                await asyncio.sleep(1 / rate)  # the pace, not a bound
        return await asyncio.gather(*tasks)


def fetch_all(urls, rate):
    return asyncio.run(fetch_each(urls, rate))


if __name__ == "__main__":
    main(fetch_all)
