"""Inside a run: how late the event loop is (loop samples), for a learner's blocking script and
for the demos."""
from runner import events, loopprobe, watcher

BLOCK = watcher.GROW + 0.3  # seconds the learner's coroutine blocks the loop: told once meanwhile

BLOCKING_SCRIPT = '''
import asyncio
import time


async def main():
    await asyncio.sleep(0.1)
    time.sleep({block})  # blocking: nothing else on this loop runs meanwhile
    {after}

asyncio.run(main())
'''


def test_a_blocking_call_in_a_coroutine_shows_as_loop_lag(run_demo, tmp_path):
    script = tmp_path / "blocking.py"
    script.write_text(BLOCKING_SCRIPT.format(block=BLOCK, after="await asyncio.sleep(0.1)"))
    result = run_demo(script)
    assert result.returncode == 0, result.stderr
    loop = result.of("loop")
    assert loop and all(events.check(sample) == sample for sample in loop)
    worst = max(sample["lag"] for sample in loop)
    # The probe's timer was due at most one period after the block began.
    assert BLOCK - loopprobe.PERIOD <= worst < BLOCK + 10, loop
    # While the loop was stopped the strip grew live: told after GROW, before it ran again.
    during = [s for s in loop if watcher.GROW <= s["lag"] < worst]
    assert len(during) == 1, loop
    ended, = [s for s in loop if s["lag"] == worst]
    assert during[0]["t"] < ended["t"]
    # Nothing else: the loop's start, no sample for each tick of the stall, none when the lag
    # fell back (asyncio.run runs its loop three times: one start).
    assert [s["lag"] for s in loop if s["lag"] < loopprobe.LATE] == [0.0], loop
    assert len(loop) <= 4, loop


def test_a_stall_that_lasts_until_its_loop_ends_is_told(run_demo, tmp_path):
    """The coroutine blocks and returns: the timer never fires again, the probe tells it."""
    script = tmp_path / "blocking_to_the_end.py"
    script.write_text(BLOCKING_SCRIPT.format(block=0.4, after="return"))
    loop = run_demo(script).of("loop")
    assert 0.4 - loopprobe.PERIOD <= max(sample["lag"] for sample in loop) < 10, loop


def covered(samples):
    """Seconds of the run under the loop strip's red bands ([t - lag, t] of every sample)."""
    total, reach = 0.0, 0.0
    for start, end in sorted((s["t"] - s["lag"], s["t"]) for s in samples):
        total += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    return total


def test_the_blocking_demo_shows_its_loop_stopped_the_whole_time(run_demo):
    """blocking_in_async: each requests.get holds the loop for at least d, one after the other,
    so the loop's lag reaches d and the red bands cover nearly all of n·d, though only a few
    samples are sent (and the waiting thread's slivers of CPU none)."""
    n, delay = 3, 0.3
    result = run_demo("blocking_in_async", n=n, delay=delay)
    assert result.returncode == 0, result.stderr
    loop = result.of("loop")
    assert max(sample["lag"] for sample in loop) >= delay - loopprobe.PERIOD, loop
    assert covered(loop) >= 0.9 * n * delay, loop
    assert len(loop) <= 2 * n, loop
    assert len(result.of("cpu")) <= n, result.of("cpu")


IN_FLIGHT_SCRIPT = '''
import asyncio
import sys
import time

import aiohttp


async def fetch(session, url):
    async with session.get(url) as response:
        return await response.text()


async def main(url):
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(fetch(session, url)) for _ in range(3)]
        await asyncio.sleep(0.2)  # the three are sent, the server sleeps
        time.sleep(0.3)  # blocking: the loop stops with three requests in flight
        await asyncio.gather(*tasks)

asyncio.run(main(sys.argv[1]))
'''


def test_a_loop_sample_tells_the_requests_in_flight(run_demo, slow_server, tmp_path):
    """Each sample has the count in flight when it was told: none at the loop's start, three
    while the loop was stopped in the middle of their wait."""
    script = tmp_path / "in_flight.py"
    script.write_text(IN_FLIGHT_SCRIPT)
    result = run_demo(script, "--", slow_server.url + "?delay=0.8")
    assert result.returncode == 0, result.stderr
    start, *late = result.of("loop")
    assert start["lag"] == 0.0 and start["in_flight"] == 0, result.of("loop")
    stall = max(late, key=lambda sample: sample["lag"])
    assert stall["lag"] >= 0.3 - loopprobe.PERIOD and stall["in_flight"] == 3, late


def test_a_healthy_loop_sends_its_start_and_little_else(run_demo):
    """asyncio with the server's sleep: the loop is never late, so its strip (flat) comes from
    the one sample of its start; threads have no loop and no strip."""
    loop = run_demo("asyncio", n=3, delay=0.3).of("loop")
    assert loop[0]["lag"] == 0.0 and len(loop) <= 3, loop
    assert not run_demo("threads", n=3, delay=0.1).of("loop")


FORKED_LOOP_SCRIPT = '''
import asyncio
import os
import time


async def block():
    time.sleep(0.2)  # blocking, in the child's own loop: a late timer
    await asyncio.sleep(1.1)  # longer than a loop sample may wait for a line (FLUSH)
    time.sleep(0.2)  # another: a copy of the runner's collector would write both now


if __name__ == "__main__":
    pid = os.fork()
    if pid == 0:
        asyncio.run(block())
        os._exit(0)
    os.waitpid(pid, 0)
'''


def test_a_forked_childs_loop_tells_nothing(run_demo, tmp_path):
    """A child forked by the demo carries a copy of the runner, its probes and its collector:
    its loop must not write on the runner's stream (only the runner's process is probed)."""
    script = tmp_path / "forked_loop.py"
    script.write_text(FORKED_LOOP_SCRIPT)
    result = run_demo(script)
    assert result.returncode == 0, result.stderr
    assert not result.of("loop"), result.of("loop")
    assert [e["type"] for e in result.events].count("run_end") == 1
