"""asyncio.TaskGroup: when one request fails, the group cancels the others
and raises every failure together, as an ExceptionGroup."""
import asyncio

import aiohttp

from demos.cli import main


async def fetch(session, url):
    async with session.get(url) as response:  # waits; other tasks run
        response.raise_for_status()
        return await response.text()


async def fetch_each(urls):
    async with aiohttp.ClientSession() as session:
        async with asyncio.TaskGroup() as group:  # waits for every task
            tasks = [group.create_task(fetch(session, url)) for url in urls]
    return [task.result() for task in tasks]


def fetch_all(urls):
    return asyncio.run(fetch_each(urls))


if __name__ == "__main__":
    main(fetch_all)
