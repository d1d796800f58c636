"""asyncio.timeout: at the deadline every request still waiting is
cancelled, and the caller gets TimeoutError instead of a hang."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(session, url):
    async with session.get(url) as response:  # waits; other tasks run
        response.raise_for_status()
        return await response.text()


async def fetch_each(urls, timeout):
    async with aiohttp.ClientSession() as session:
        async with asyncio.timeout(timeout):  # cancels what is still waiting
            return await asyncio.gather(*(fetch(session, url) for url in urls))


def fetch_all(urls, timeout):
    return asyncio.run(fetch_each(urls, timeout))


if __name__ == "__main__":
    main(fetch_all)
