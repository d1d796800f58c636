"""The follower processes of bench/audience.py: each runs bench/audience_followers.py's `crowd`
(spawned, so no state of the bench leaks in) and reports on one queue: ("ready", part, connected,
seconds), then ("result", part, reports, cpu seconds), or ("failed", part, reason, 0.0).
"""
import asyncio
import multiprocessing
import queue
import resource
import time

from bench.audience_app import raise_file_limit
from bench.audience_followers import crowd


def serve(part, count, setup, outbox, stop):
    """A follower process: run `count` followers, then put ("result", part, reports, cpu)."""
    raise_file_limit()
    try:
        followers = asyncio.run(crowd(part, count, setup, outbox, stop))
    except Exception as exc:
        outbox.put(("failed", part, f"{type(exc).__name__}: {exc}", 0.0))
        raise
    usage = resource.getrusage(resource.RUSAGE_SELF)
    outbox.put(("result", part, [f.report() for f in followers], usage.ru_utime + usage.ru_stime))


class Crowd:
    """The follower processes and the queue they report on."""

    def __init__(self, url, options):
        self.context = multiprocessing.get_context("spawn")
        self.outbox = self.context.Queue()
        self.stop = self.context.Event()
        setup = {"url": url, "connect_deadline": max(10.0, options.deadline / 4),
                 "compress": options.compress_bits()}
        self.processes = [
            self.context.Process(target=serve, name=f"followers-{part}",
                                 args=(part, count, setup, self.outbox, self.stop))
            for part, count in enumerate(options.parts())]
        self.results, self.cpu, self.ready, self.failures = {}, {}, {}, []

    def start(self):
        for process in self.processes:
            process.start()

    def collect(self, kind, deadline):
        """Read the outbox until every process has said `kind` (or failed), or the deadline."""
        give_up = time.monotonic() + deadline
        wanted = self.ready if kind == "ready" else self.results
        while len(wanted) + len(self.failures) < len(self.processes):
            try:
                what, part, payload, extra = self.outbox.get(
                    timeout=max(0.01, give_up - time.monotonic()))  # blocking
            except queue.Empty:
                return False
            if what == "failed":
                self.failures.append(f"follower process {part}: {payload}")
            elif what == "ready":
                self.ready[part] = (payload, extra)
            else:
                self.results[part], self.cpu[part] = payload, extra
        return True

    def finish(self, deadline):
        """Let the followers end (stop them at the deadline), collect, and join the processes."""
        if not self.collect("result", deadline):
            self.stop.set()
            self.collect("result", 30)
        for process in self.processes:
            process.join(30)  # blocking
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        self.outbox.close()
        self.outbox.join_thread()

    def reports(self):
        return [report for part in sorted(self.results) for report in self.results[part]]
