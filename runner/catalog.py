"""The demos of the talk as data: ids, modules, default parameters, the parameters each one
reads, and the ideal total of a run."""
import math
import os
from dataclasses import dataclass, field
from typing import Callable

from runner.params import DEFAULTS, PARAMS, ParamError, UnknownDemo, fill, shown

#: demos whose `concurrency` is a number of processes started at once
PROCESS_DEMOS = ("processes", "cpu_processes")
PER_CORE = 8  # processes per core worth starting for a demo: beyond it, no speed-up to show
PROCESS_MEMORY = 30 * 2**20  # bytes a demo process may take (measured 1-5 MB; kept generous)


def cores():
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def server_slots(params):
    """How many requests the slow server serves at once (the asyncio server: as many as come)."""
    if params["server"] == "asyncio":
        return math.inf
    return params["workers"]


def rounds(n, slots):
    """Rounds of at most `slots` parallel requests needed for n requests."""
    return 1 if slots == math.inf else math.ceil(n / slots)


def ideal_sequential(p):
    return p["n"] * p["delay"]


def ideal_server_bound(p):
    return rounds(p["n"], server_slots(p)) * p["delay"]


def ideal_client_bound(p):
    return rounds(p["n"], min(p["concurrency"], server_slots(p))) * p["delay"]


def ideal_deadline(p):
    # asyncio.timeout: one deadline for the whole call.
    return min(ideal_server_bound(p), p["client_timeout"])


def ideal_read_timeout(p):
    # requests' timeout= bounds each wait for data: a request lasts at most that.
    return ideal_client_bound({**p, "delay": min(p["delay"], p["client_timeout"])})


def executor_threads():
    """Threads of the loop's default executor (asyncio.to_thread), as 3.11 sizes it."""
    return min(32, (os.cpu_count() or 1) + 4)


def ideal_to_thread(p):
    return rounds(p["n"], min(executor_threads(), server_slots(p))) * p["delay"]


def ideal_paced(p):
    # The last start is (n - 1)/rate seconds in; it then takes its delay.
    pace = (p["n"] - 1) / p["rate"] if p["rate"] else 0
    return pace + p["delay"]


def ideal_cpu_processes(p):
    # Limited both by the k workers (each runs its tasks one after another) and by the cores.
    per_worker = math.ceil(p["n"] / p["concurrency"])
    per_core = p["n"] / min(p["concurrency"], cores())
    return max(per_worker, per_core) * p["delay"]


def ideal_thread_server(p):
    return p["delay"]


def ideal_pool_server(p):
    return math.ceil(p["n"] / p["workers"]) * p["delay"]


@dataclass(frozen=True)
class Demo:
    id: str
    module: str
    title: str
    summary: str
    kind: str  # "client" | "cpu" | "server"
    ideal: Callable[[dict], float]
    defaults: dict = field(default_factory=dict)
    #: the parameters this demo reads (a panel shows only these)
    uses: tuple = ("n", "workers", "delay")
    #: the interpreter it needs: "" (any), "free-threaded" or "3.14" (runner/pythons.py)
    python: str = ""

    def as_json(self):
        """The public description served by the deck app (GET /api/demos): every parameter of
        the table with its range, this demo's default and whether the demo uses it."""
        params = [{**p.as_json(), "default": self.defaults[p.name], "used": p.name in self.uses}
                  for p in PARAMS.values()]
        return {"id": self.id, "title": self.title, "summary": self.summary, "kind": self.kind,
                "defaults": dict(self.defaults), "module": self.module, "uses": list(self.uses),
                "python": self.python, "params": params}


CLIENT = ("n", "workers", "delay", "fail", "server")


def demo(id, title, summary, kind, ideal, uses=CLIENT, python="", **overrides):
    return Demo(id, f"demos.{overrides.pop('module', id)}", title, summary, kind, ideal,
                {**DEFAULTS, **overrides}, uses, python)


CLIENT_BOUND = (*CLIENT, "concurrency")
CPU = ("n", "delay", "concurrency")
SOCKET_SERVER = ("n", "delay")

DEMOS = {d.id: d for d in [
    demo("sync", "One request after another", "requests, one after another: n·d",
         "client", ideal_sequential, module="client_sync"),
    demo("threads", "A thread per request", "one Thread per request, results through a Queue",
         "client", ideal_server_bound, module="client_threads"),
    demo("thread_pool", "A pool of threads",
         "ThreadPoolExecutor(max_workers=k), requests with timeout=",
         "client", ideal_read_timeout, (*CLIENT_BOUND, "client_timeout"),
         module="client_thread_pool", n=9),
    demo("asyncio", "asyncio and aiohttp", "aiohttp + gather, one ClientSession per request",
         "client", ideal_server_bound, module="client_asyncio"),
    demo("asyncio_session", "One shared ClientSession",
         "aiohttp + gather over one shared ClientSession (no 100-connection cap)",
         "client", ideal_server_bound, module="client_asyncio_session"),
    demo("asyncio_semaphore", "A Semaphore bounds the client",
         "Semaphore(k) around each request, one shared session",
         "client", ideal_client_bound, (*CLIENT_BOUND, "rate"),
         module="client_asyncio_semaphore", n=9),
    demo("gather", "gather when one request fails",
         "aiohttp + gather: the first failure is raised, the other tasks run on",
         "client", ideal_server_bound, module="client_gather"),
    demo("taskgroup", "asyncio.TaskGroup",
         "aiohttp + TaskGroup: a failure cancels the others (ExceptionGroup)",
         "client", ideal_server_bound, module="client_taskgroup"),
    demo("asyncio_timeout", "asyncio.timeout",
         "aiohttp + asyncio.timeout: at the deadline every request is cancelled",
         "client", ideal_deadline, (*CLIENT, "client_timeout"),
         module="client_asyncio_timeout"),
    demo("blocking_in_async", "A blocking call in a coroutine",
         "requests.get inside async def: the loop stops, n·d", "client", ideal_sequential,
         module="client_blocking_in_async"),
    demo("to_thread", "asyncio.to_thread",
         "the same blocking call through asyncio.to_thread: concurrent again",
         "client", ideal_to_thread, module="client_to_thread"),
    demo("paced", "Paced for a rate-limited API",
         "aiohttp, one request started every 1/rate s: no 429", "client", ideal_paced,
         (*CLIENT, "rate"), module="client_paced", rate=5.0),
    demo("processes", "A pool of processes", "multiprocessing.Pool(k), chunksize=1",
         "client", ideal_client_bound, CLIENT_BOUND, module="client_processes"),
    demo("cpu_threads", "CPU work on threads", "pure-Python CPU work over k threads: the GIL",
         "cpu", ideal_sequential, CPU, n=4, concurrency=2, delay=0.5),
    demo("cpu_threads_ft", "CPU work on free-threaded threads",
         "cpu_threads run by a free-threaded Python (PEP 703/779), where one is present",
         "cpu", ideal_cpu_processes, CPU, python="free-threaded", module="cpu_threads",
         n=4, concurrency=2, delay=0.5),
    demo("cpu_interpreters", "CPU work on subinterpreters",
         "the same CPU work over k subinterpreters (Python 3.14), where one is present",
         "cpu", ideal_cpu_processes, CPU, python="3.14", n=4, concurrency=2, delay=0.5),
    demo("cpu_processes", "CPU work on processes", "the same CPU work over k processes",
         "cpu", ideal_cpu_processes, CPU, n=4, concurrency=2, delay=0.5),
    demo("server_sequential", "A server that serves one at a time",
         "socket server: one connection at a time", "server", ideal_sequential, SOCKET_SERVER,
         n=10, delay=0.5),
    demo("server_threaded", "A thread per connection",
         "socket server: a thread per connection", "server", ideal_thread_server, SOCKET_SERVER,
         n=10, delay=0.5),
    demo("server_pool", "A bounded pool of threads",
         "socket server: ThreadPoolExecutor(W)", "server", ideal_pool_server,
         ("n", "workers", "delay"), n=10, delay=0.5),
]}


def validate(demo_id, raw=None):
    """Clean parameters for `demo_id`: defaults filled in; None counts as missing.

    Raises UnknownDemo for an unknown id and ParamError for an unknown name, a wrong type or a
    value out of range.
    """
    if not isinstance(demo_id, str) or demo_id not in DEMOS:
        raise UnknownDemo(f"unknown demo {shown(demo_id)}")
    params = fill(DEMOS[demo_id].defaults, raw)
    if demo_id in PROCESS_DEMOS:
        limit, reason = process_limit()
        if params["concurrency"] > limit:
            raise ParamError(f"concurrency {params['concurrency']} is more processes than this "
                             f"machine holds for a demo: at most {limit} ({reason})")
    return params


def available_memory():
    """Bytes of memory available now (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def process_limit():
    """(most processes a demo may start at once, why): PER_CORE per core, fewer if the
    memory available now would not hold them."""
    by_cores = PER_CORE * cores()
    free = available_memory()
    if free is not None and free // PROCESS_MEMORY < by_cores:
        return max(1, free // PROCESS_MEMORY), \
            f"{free / 2**30:.1f} GiB free, {PROCESS_MEMORY // 2**20} MB per process"
    return by_cores, f"{PER_CORE} per core, {cores()} cores"
