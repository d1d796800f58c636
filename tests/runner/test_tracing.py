"""Learner scripts traced unmodified by the runner, child processes under spawn too."""
import subprocess
import sys
import textwrap

import pytest

from runhelp import run_runner

REQUESTS_SCRIPT = """
    import sys
    import requests

    for _ in range(2):
        print(requests.get(sys.argv[1]).text)
"""

SPAWN_SCRIPT = """
    import multiprocessing
    import os
    import sys

    import requests


    def fetch(url):
        return requests.get(url).text


    if __name__ == "__main__":
        print("main pid", os.getpid())
        with multiprocessing.get_context("{method}").Pool(2) as pool:
            print(pool.map(fetch, [sys.argv[1]] * 2, chunksize=1))
"""

AIOHTTP_SCRIPT = """
    import asyncio
    import sys

    import aiohttp


    async def main(url):
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                print(await response.text())

    asyncio.run(main(sys.argv[1]))
"""


@pytest.fixture
def script(tmp_path):
    def write(source):
        path = tmp_path / "learner.py"
        path.write_text(textwrap.dedent(source))
        return path
    return write


@pytest.mark.parametrize("source, n", [(REQUESTS_SCRIPT, 2), (AIOHTTP_SCRIPT, 1)])
def test_a_learners_script_is_traced_unmodified(script, slow_server, source, n):
    path = script(source)
    result = run_runner(path, "--", slow_server.url + "?delay=0.1", url=slow_server.url)
    assert result.returncode == 0, result.stderr
    assert result.events[0]["demo"] == str(path)
    assert len(result.spans) == n and all(s["worker"].startswith("pid ") for s in result.spans)
    assert result.end["ideal"] is None
    assert "This is a slow web api" in result.stderr  # its prints never mix with the JSON


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_children_started_by_spawn_or_forkserver_are_traced(script, slow_server, method):
    path = script(SPAWN_SCRIPT.format(method=method))
    result = run_runner(path, "--", slow_server.url + "?delay=0.1", url=slow_server.url)
    assert result.returncode == 0, result.stderr
    assert len(result.spans) == 2
    main = result.stderr.split("main pid ", 1)[1].split()[0]  # the script's prints: stderr
    # Sent from the pool's children (one or both: a loaded machine may start the second late).
    assert all(s["actor"].startswith("pid ") and s["actor"] != f"pid {main}" and
               s["server_start"] is not None for s in result.spans), (main, result.spans)


def test_a_server_that_is_not_ours_gives_only_the_client_side(script, tmp_path):
    # a plain static file server: no X-Server-* headers
    (tmp_path / "index.html").write_text("hello")
    with subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                           "--directory", str(tmp_path)], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as static:
        try:
            port = static.stdout.readline().split("port ")[1].split()[0]  # blocking
            url = f"http://127.0.0.1:{port}/index.html"
            result = run_runner(script(REQUESTS_SCRIPT), "--", url, url=url)
        finally:
            static.terminate()
        static.stdout.close()
    assert result.returncode == 0, result.stderr
    assert [(s["server_start"], s["worker"]) for s in result.spans] == [(None, None)] * 2
