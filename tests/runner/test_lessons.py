"""The 2026 lessons, by behaviour: structured concurrency (TaskGroup vs gather), deadlines
(asyncio.timeout, requests' timeout=), a blocking call in a coroutine vs asyncio.to_thread, and
a rate-limited API (429 + Retry-After) met by a Semaphore and by a paced client."""
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from demos.slow_server import TokenBucket
from runhelp import ROOT, overlap, run_runner, runner_command
from runner.events import check
from runner.serve import start_asyncio_server, start_gunicorn

NEW = ["gather", "taskgroup", "asyncio_timeout", "blocking_in_async", "to_thread", "paced"]


def raised(result):
    """The run-level 'the demo raised ...' lines."""
    return [e["message"] for e in result.errors if e["i"] is None]


def request_errors(result):
    return [e for e in result.errors if e["i"] is not None]


def test_list_names_the_new_demos():
    done = subprocess.run(runner_command("--list"), cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    listed = {line.split()[0] for line in done.stdout.splitlines()}
    assert set(NEW) <= listed


def test_a_taskgroup_cancels_the_others_and_raises_a_group(async_server):
    result = run_runner("taskgroup", n=5, fail=1, delay=5, url=async_server.url)
    assert result.returncode == 1
    errors = request_errors(result)
    assert len(errors) == 5 and not result.spans  # nobody ran on
    assert sum(e["status"] == 500 for e in errors) == 1
    assert sum(e["message"].startswith("CancelledError") for e in errors) == 4
    assert raised(result) == ["the demo raised ExceptionGroup: unhandled errors in a TaskGroup "
                              "(1 sub-exception)"]
    assert result.end["total"] < 4  # cut short, not the 5 s the others asked for


def test_gather_raises_the_first_failure_and_lets_the_others_run_on(async_server):
    result = run_runner("gather", n=5, fail=1, delay=0.5, url=async_server.url)
    assert result.returncode == 1
    assert [e["status"] for e in request_errors(result)] == [500]
    assert len(result.spans) == 4 and all(s["status"] == 200 for s in result.spans)
    assert all(s["client_end"] >= 0.5 for s in result.spans)  # served to the end
    assert len(raised(result)) == 1 and "ClientResponseError: 500" in raised(result)[0]


def test_asyncio_timeout_cancels_every_request_at_the_deadline(async_server):
    result = run_runner("asyncio_timeout", n=3, delay=8, client_timeout=0.5,
                        url=async_server.url)
    assert result.returncode == 1 and not result.spans
    errors = request_errors(result)
    assert len(errors) == 3 and all(e["message"].startswith("CancelledError") for e in errors)
    assert all(e["client_end"] >= 0.5 for e in errors)
    assert raised(result) == ["the demo raised TimeoutError"]
    assert 0.5 <= result.end["total"] < 6  # the deadline, not the server's 8 s
    assert result.end["ideal"] == pytest.approx(0.5)


def test_asyncio_timeout_lets_a_fast_run_finish(async_server):
    result = run_runner("asyncio_timeout", n=3, delay=0.1, client_timeout=5,
                        url=async_server.url)
    assert result.returncode == 0 and len(result.spans) == 3


def test_the_thread_pool_gives_up_at_its_read_timeout(async_server):
    result = run_runner("thread_pool", n=3, concurrency=3, delay=8, client_timeout=0.5,
                        url=async_server.url)
    assert result.returncode == 1
    errors = request_errors(result)
    assert len(errors) == 3 and all(e["message"].startswith("ReadTimeout") for e in errors)
    assert raised(result)[0].startswith("the demo raised ReadTimeout")
    assert result.end["total"] < 6


def test_a_blocking_call_in_a_coroutine_serialises_and_to_thread_overlaps(run_demo):
    blocking = run_demo("blocking_in_async", n=3, delay=0.2)
    threaded = run_demo("to_thread", n=3, delay=0.2)
    assert blocking.returncode == threaded.returncode == 0, blocking.stderr + threaded.stderr
    assert overlap(blocking.spans, "client_start", "client_end") == 1
    assert blocking.end["total"] >= 3 * 0.2
    assert overlap(threaded.spans, "client_start", "client_end") == 3
    assert all(s["actor"].startswith("asyncio_") for s in threaded.spans)  # executor threads


def test_the_token_bucket_allows_its_rate_and_says_how_long_to_wait():
    now = [100.0]
    bucket = TokenBucket(2.0, clock=lambda: now[0])
    assert [bucket.take() for _ in range(2)] == [0.0, 0.0]  # a burst of `rate`
    assert bucket.take() == pytest.approx(0.5)  # one token refills in 1/rate
    now[0] += 0.5
    assert bucket.take() == 0.0 and bucket.take() > 0


@pytest.mark.parametrize("start", [lambda: start_gunicorn(3, rate=3),
                                   lambda: start_asyncio_server(rate=3)],
                         ids=["gunicorn", "asyncio"])
def test_the_slow_server_answers_429_beyond_its_rate(start):
    with start() as server, requests.Session() as session:
        with ThreadPoolExecutor(max_workers=9) as pool:
            answers = list(pool.map(lambda _: requests.get(server.url + "?delay=0.3",
                                                           timeout=10), range(9)))
        codes = [answer.status_code for answer in answers]
        # one bucket for the whole server: three workers each counting alone would pass 9
        # (a burst of 3, plus what refills while the others wait for a worker)
        assert 3 <= codes.count(200) <= 5 and codes.count(429) == 9 - codes.count(200)
        assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
        assert session.get(server.url + "?delay=0&probe=1", timeout=10).status_code == 200


def test_a_semaphore_is_not_a_rate_limit_and_a_paced_client_is():
    bounded = run_runner("asyncio_semaphore", n=12, concurrency=3, delay=0.05, rate=4)
    paced = run_runner("paced", n=6, delay=0.05, rate=4)
    assert bounded.returncode == 1
    assert any(e["status"] == 429 for e in bounded.errors)
    assert paced.returncode == 0, paced.errors
    assert len(paced.spans) == 6 and {s["status"] for s in paced.spans} == {200}
    starts = sorted(s["client_start"] for s in paced.spans)
    assert all(b - a >= 0.2 for a, b in zip(starts, starts[1:]))  # 1/rate apart, never closer


def test_spans_and_errors_carry_the_http_status():
    assert check({"type": "span", "i": 0, "status": 429})["status"] == 429
    assert check({"type": "error", "message": "x", "status": 429})["status"] == 429
    assert check({"type": "span", "i": 0, "status": "429"}) is None


@pytest.mark.parametrize("module", ["demos.client_paced", "demos.client_asyncio_timeout"])
def test_the_new_clients_take_their_options_by_hand(slow_server, module):
    done = subprocess.run([sys.executable, "-m", module, "--n", "2", "--delay", "0.1",
                           "--rate", "20", "--client-timeout", "5", "--url", slow_server.url],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["This is a slow web api"] * 2


def test_without_a_free_threaded_python_the_run_says_so_and_shows_nothing():
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        pytest.skip("this interpreter is free-threaded: cpu_threads_ft really runs")
    result = run_runner("cpu_threads_ft")
    assert result.returncode == 1 and not result.spans
    assert "no free-threaded Python here" in result.errors[0]["message"]
    assert "--free-threaded-python" in result.errors[0]["message"]
    assert result.end["ideal"] is None and result.end["total"] is None


def test_without_python_314_the_subinterpreter_run_says_so():
    if sys.version_info >= (3, 14):
        pytest.skip("this interpreter has concurrent.interpreters: cpu_interpreters really runs")
    result = run_runner("cpu_interpreters")
    assert result.returncode == 1 and not result.spans
    assert result.errors[0]["message"].startswith("no Python 3.14 here")
