"""asyncio + aiohttp with one shared ClientSession (one connection pool)."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(session, url):
    async with session.get(url) as response:  # waits; other tasks run
        response.raise_for_status()
        return await response.text()


async def fetch_each(urls):
    # A session opens at most 100 connections by default: lift the cap.
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        return await asyncio.gather(*(fetch(session, url) for url in urls))


def fetch_all(urls):
    return asyncio.run(fetch_each(urls))


if __name__ == "__main__":
    main(fetch_all)
