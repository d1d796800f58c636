"""Run a demo, unchanged, and trace every request: `python -m runner DEMO [options] [--json]`.

DEMO is a demo id (see --list) or the path of a learner's script using requests or aiohttp
(arguments after `--` go to the script). With --json: one JSON object per line, flushed as it
happens (docs/ARCHITECTURE.md); without: a readable table. Exit status: 0 when every request
succeeded, 1 when a request failed or the demo raised, 2 for bad usage, 3 when the run timed out.
"""
import importlib
import json
import multiprocessing
import os
import resource
import runpy
import signal
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from runner import pythons, serve, trace, tracefile
from runner.options import list_demos, parse
from runner.catalog import DEMOS, validate
from demos.cli import build_urls, call
from runner.collect import Collector, JsonWriter, Receiver, TableWriter
from demos.calibrate import size_for
from runner.params import DEFAULTS, PARAMS, ParamError, fill
from runner.sampler import Sampler

BOOT = Path(__file__).resolve().parent / "_boot"
SCRIPT_URL = "http://127.0.0.1:8000/"  # where the seeds' scripts look (gunicorn's default)


def raise_file_limit():
    """Each connection is a file descriptor: n = 10,000 needs more than the usual 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def private_stdout():
    """A private copy of stdout for the JSON lines; fd 1 then points at stderr, so whatever the
    demo (or a child process) prints cannot break the stream."""
    stream = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)
    return stream


class Run:
    """One traced run: its target, parameters, server, collector and clock."""

    def __init__(self, args, script_args):
        self.script = None if args.demo in DEMOS else Path(args.demo)
        self.demo = None if self.script else DEMOS[args.demo]
        raw = {name: getattr(args, name) for name in PARAMS if getattr(args, name) is not None}
        self.params = fill(DEFAULTS, raw) if self.script else validate(args.demo, raw)
        self.name = str(self.script) if self.script else self.demo.id
        self.url, self.script_args = args.url, script_args
        self.server = None
        self.out = private_stdout() if args.json else sys.stdout
        self.trace_path, self.sample = args.trace, args.sample
        write = (JsonWriter if args.json else TableWriter)(self.out)
        self.recorder = tracefile.Recorder(write) if self.trace_path else None
        self.collector = Collector(self.recorder or write)
        self.ideal = self.demo.ideal(self.params) if self.demo else None
        self.sampler = None

    def start_sampler(self, receiver):
        """Fork the sampler's watcher, waiting for begin_sampler (none with --sample 0, nor if
        it cannot fork)."""
        if not self.sample:
            return
        try:
            self.sampler = Sampler(self.collector, receiver.sock.getsockname(),
                                   self.sample).start()
        except OSError as error:
            print(f"runner: no CPU lanes nor loop strip: {error}", file=sys.stderr)
            return
        self.collector.on_child = self.sampler.watch

    def begin_sampler(self):  # CPU and loop samples from now on
        if self.sampler:
            self.sampler.begin()

    def stop_sampler(self, total=None):  # the last samples, none past the run's end
        if self.sampler:
            self.sampler.stop(until=None if total is None else self.collector.t0 + total)

    def report_sampler(self, receiver):
        """The sampling's own cost on stderr, for bench/inside.py (RUNNER_SAMPLER_REPORT=1)."""
        if self.sampler and os.environ.get("RUNNER_SAMPLER_REPORT"):
            report = self.sampler.report(receiver.cpu_s)
            print("sampler " + json.dumps(report), file=sys.stderr)

    def write_trace(self):  # False, with a line on stderr, if the --trace file failed
        return self.recorder.save(self.trace_path, self.name, self.params)

    def start_server(self):
        """The slow server this run needs, unless --url names one (None for CPU demos)."""
        kind = "script" if self.script else self.demo.kind
        if kind == "server":
            return serve.start_socket_server(self.demo.module, self.params["workers"])
        if kind == "cpu" or self.url:
            return None
        if kind == "script":
            return serve.start_gunicorn(self.params["workers"], port=8000)
        return serve.start_server(self.params["server"], self.params["workers"],
                                  self.params["rate"])

    def prepare(self):
        """Import the demo (outside the timed part) and return the call that runs it."""
        p = self.params
        if self.script:
            for name in ("requests", "aiohttp"):
                if name in self.script.read_text(errors="replace"):
                    importlib.import_module(name)
            return self.run_script
        module = importlib.import_module(self.demo.module)
        if self.demo.kind == "cpu":
            sizes = [size_for(p["delay"])] * p["n"]
            module.work = trace.TracedTask(module.work)  # the module's global, not its code
            return lambda: module.work_all(sizes, p["concurrency"])
        client = module if self.demo.kind == "client" else importlib.import_module(
            "demos.client_threads")  # the socket servers' demo: n concurrent threads
        fail = p["fail"] if self.demo.kind == "client" else 0
        urls = build_urls(self.url, p["n"], p["delay"], fail)
        return lambda: call(client.fetch_all, urls, p["concurrency"], p["client_timeout"],
                            p["rate"])

    def run_script(self):
        sys.argv = [str(self.script), *self.script_args]
        try:
            runpy.run_path(str(self.script), run_name="__main__")
        except SystemExit as stop:
            if stop.code not in (None, 0):
                raise RuntimeError(f"the script exited with status {stop.code}") from None

    def error(self, message):
        self.collector.emit(run_error(message))

    def end(self, total=None, *before):
        """The last line of every run (total null if the demo never started)."""
        if total is None and self.collector.t0 is not None:
            total = time.perf_counter() - self.collector.t0
        total = None if total is None else round(total, 6)
        self.collector.emit(*before, {"type": "run_end", "total": total, "ideal": self.ideal},
                            last=True)

    def expire(self):
        """The run's time is up: say so, kill its children and its server, and leave at once."""
        self.end(None, run_error(f"timed out after {self.params['timeout']:g} s"))
        self.out.flush()
        if self.trace_path:
            self.write_trace()
        if self.sampler:
            self.sampler.kill()
        for child in multiprocessing.active_children():
            child.kill()
        if self.server:
            self.server.signal(signal.SIGKILL)
        os._exit(3)


def run_error(message):
    return {"type": "error", "i": None, "message": message}


def summary(error):
    """One line for an exception: its type and its innermost cause."""
    return trace.describe(error, None).removesuffix(" (None)")


def watch(run, done):
    if not done.wait(run.params["timeout"]):
        run.expire()


def trace_children(receiver):
    """Child processes find the runner's socket, and (spawn/forkserver) install the hooks."""
    os.environ[trace.ENV_SOCKET] = receiver.address
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(BOOT), str(BOOT.parent.parent), os.environ.get("PYTHONPATH")]))
    os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
    os.register_at_fork(after_in_child=trace.announce)  # so the sampler watches it at once


def execute(run):
    """Start the server, run the demo traced, and end with run_end. Returns the exit status."""
    done = threading.Event()
    try:
        run.collector.emit({"type": "run_start", "demo": run.name, "params": run.params})
        missing = run.demo and pythons.problem(run.demo.python)
        if missing:  # said on the slide instead of a result this interpreter cannot give
            run.error(missing)
            run.ideal = None  # no line to compare with a run that did not happen
            run.end()
            return 1
        watchdog = threading.Thread(target=watch, args=(run, done), name="watchdog", daemon=True)
        watchdog.start()
        with ExitStack() as stack:
            try:
                run.server = run.start_server()
            except (serve.ServerError, OSError) as error:
                hint = " (pass --url to use a server already running)" if run.script else ""
                run.error(f"could not start the slow server: {error}{hint}")
                run.end()
                return 1
            if run.server:
                stack.callback(run.server.stop)
            run.url = run.url or (run.server.url if run.server else SCRIPT_URL)
            return timed(run)
    except BaseException:  # SIGTERM or Ctrl-C before the demo ran (a no-op if it has ended)
        run.end(None, run_error("interrupted"))
        raise
    finally:
        done.set()


def timed(run):
    """The timed part: t0, the demo, the total; then the events still in flight, then run_end."""
    receiver = Receiver(run.collector)
    run.start_sampler(receiver)  # before the demo's imports (Sampler.start says why)
    try:
        job = run.prepare()
    except Exception as error:
        run.stop_sampler()
        receiver.drain()
        run.error(f"could not load the demo: {summary(error)}")
        run.end()
        return 1
    trace_children(receiver)
    trace.use_sink(run.collector)
    trace.install_hooks()
    run.collector.t0 = time.perf_counter()
    run.begin_sampler()
    try:
        job()
    except Exception as error:
        run.error(f"the demo raised {summary(error)}")
    except BaseException:  # SIGTERM (a cancel) or Ctrl-C: the stream still ends properly
        run.error("interrupted")
        raise
    finally:
        total = time.perf_counter() - run.collector.t0
        run.stop_sampler(total)
        receiver.drain()
        run.report_sampler(receiver)
        run.collector.emit(*run.collector.unfinished())
        run.end(total)
    return 1 if run.collector.errors else 0


def exit_now_if_stuck(status):
    """A demo may leave a thread blocked (say, on a dead server): never let it hang the exit."""
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def main(argv=None):
    args, script_args = parse(argv, __doc__.split("\n")[0])
    if args.list:
        list_demos()
        return 0
    if args.demo not in DEMOS and not Path(args.demo).is_file():
        print(f"runner: unknown demo {args.demo!r} (see --list) and no such script",
              file=sys.stderr)
        return 2
    try:
        run = Run(args, script_args)
    except ParamError as error:
        print(f"runner: {error}", file=sys.stderr)
        return 2
    raise_file_limit()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups, stop the server
    try:
        status = execute(run)
    except SystemExit as stop:
        status = stop.code
    except KeyboardInterrupt:
        status = 130
    run.out.flush()
    if run.trace_path and not run.write_trace():
        status = status or 1
    exit_now_if_stuck(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
