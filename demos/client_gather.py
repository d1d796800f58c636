"""asyncio.gather when one request fails: the first exception is raised at
once, but nothing cancels the other tasks: they run on, unwatched."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(session, url):
    async with session.get(url) as response:  # waits; other tasks run
        response.raise_for_status()
        return await response.text()


async def fetch_each(urls):
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(fetch(session, url)) for url in urls]
        try:
            return await asyncio.gather(*tasks)  # raises the first failure
        finally:
            # A long-lived program keeps its loop running, and so do the
            # others; later failures are dropped. Wait, to see them end.
            await asyncio.wait(tasks)


def fetch_all(urls):
    return asyncio.run(fetch_each(urls))


if __name__ == "__main__":
    main(fetch_all)
