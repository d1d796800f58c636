"""The app under test for bench/audience.py: the real `python app.py` on a free loopback port,
in a temporary instance folder, with a known presenter token; the memory and CPU time of its
processes, and how busy the machine is, read from /proc."""
import resource
import signal
import tempfile
import time

from harness.app_process import AppProcess
from harness.procs import TICKS, cpu_seconds, descendants, parents, read_stat, rss_bytes  # noqa: F401

TOKEN = "bench-audience-token-7c1e"


def raise_file_limit():
    """Every follower is a file descriptor on both ends: soft limit up to the hard one."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


#: Every follower comes from 127.0.0.1, where a room's phones would have an address each.
ROOM_ON_LOOPBACK = ("--max-ws-per-client", "0", "--max-conns-per-client", "0")


class AppServer(AppProcess):
    """The app in a temporary instance folder, with the bench's presenter token, and no
    per-client caps (see ROOM_ON_LOOPBACK; later arguments win)."""

    def __init__(self, extra_args=()):
        self.folder = tempfile.TemporaryDirectory(prefix="audience-bench-")
        super().__init__([*ROOM_ON_LOOPBACK, *extra_args], self.folder.name, TOKEN)

    def stop(self, signum=signal.SIGTERM):
        try:
            return super().stop(signum)
        finally:
            self.folder.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()


class Footprint:
    """Peaks, sampled: RSS of the app's processes (the gunicorn master, the pid we started; its
    one worker, the app itself: sockets, hub, store; everything below the worker: slow servers,
    the runner and its own server), and bytes waiting in the kernel on either end of /ws."""

    def __init__(self, master, port):
        self.master, self.port = master, port
        self.worker = None
        self.peak = {"master": 0, "worker": 0, "children": 0, "unread": 0, "unsent": 0}
        self.first = None

    def sample(self):
        table = parents()
        if self.worker is None or self.worker not in table:
            workers = [p for p, parent in table.items() if parent == self.master]
            self.worker = workers[0] if workers else None
        now = {"master": rss_bytes(self.master),
               "worker": rss_bytes(self.worker) if self.worker else 0,
               "children": sum(map(rss_bytes, descendants(self.worker, table)))
               if self.worker else 0}
        now["unread"], now["unsent"] = socket_queues(self.port)
        self.first = self.first or now
        for key, value in now.items():
            self.peak[key] = max(self.peak[key], value)
        return now

    def worker_cpu(self):
        """CPU seconds the app's worker process has used so far."""
        return cpu_seconds(self.worker) if self.worker else 0.0


def tree_cpu(root):
    """CPU seconds of `root` and everything below it, reaped children included (a run's
    runner is counted in the app worker once reaped)."""
    total = 0.0
    for pid in [root, *descendants(root, parents())]:
        try:
            _parent, own, reaped = read_stat(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += own + reaped
    return total


class Meter:
    """How busy the machine was over a phase, and how much of that was not us (`root` and
    its descendants): other work on the 2 cores skews every figure."""

    def __init__(self, root):
        self.root = root
        self.start = self.ours = None

    def __enter__(self):
        self.start, self.ours = cpu_ticks(), tree_cpu(self.root)
        self.result = {}
        return self.result

    def __exit__(self, *_exc):
        busy, total, interrupts = (now - then for now, then in zip(cpu_ticks(), self.start))
        ours = tree_cpu(self.root) - self.ours
        capacity = max(1, total) / TICKS  # CPU seconds all cores had over the phase
        self.result.update(busy=busy / max(1, total), interrupts=interrupts / max(1, total),
                           others=max(0.0, (busy - interrupts) / TICKS - ours) / capacity)


def socket_queues(port):
    """(bytes received but not yet read by the followers, bytes the app wrote but not yet sent)
    over every established loopback connection to `port`, from /proc/net/tcp: where frames
    wait tells whether the followers or the app are behind."""
    unread = unsent = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if fields[3] != "01":  # ESTABLISHED
                continue
            tx, rx = (int(x, 16) for x in fields[4].split(":"))
            if int(fields[2].split(":")[1], 16) == port:
                unread += rx
            elif int(fields[1].split(":")[1], 16) == port:
                unsent += tx
    return unread, unsent


def cpu_ticks():
    """(busy, total, interrupts) jiffies of the whole machine so far; interrupts (irq and
    softirq: mostly our own loopback traffic) are in busy but in no process's time."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields), fields[5] + fields[6]


def busy_fraction(seconds=1.0):
    """How busy the machine's CPUs were over the next `seconds` (0..1)."""
    busy0, total0, _ = cpu_ticks()
    time.sleep(seconds)  # the sampling window
    busy1, total1, _ = cpu_ticks()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_until_quiet(threshold, patience):
    """Wait (up to `patience` seconds) for the machine to be less busy than `threshold`: other
    work on the 2 cores would be measured as ours. Returns the last busy fraction seen."""
    give_up = time.monotonic() + patience
    while (busy := busy_fraction(2.0)) > threshold and time.monotonic() < give_up:
        pass
    return busy


def load_average():
    with open("/proc/loadavg") as loadavg:
        return [float(x) for x in loadavg.read().split()[:3]]
