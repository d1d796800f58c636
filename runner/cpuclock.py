"""Reading CPU time from outside a thread's process (runner/watcher.py).

A thread's CPU clock (clock_gettime on the clock id of a thread) can only be read from inside
its own process, so a thread is read from /proc/<pid>/task/<tid>/schedstat, whose first field is
the same nanosecond count; a process's CPU clock (all its threads) can be read from anywhere.
"""
import os
import time


def process_clock(pid):
    """The clock id of a process's CPU time, all its threads (MAKE_PROCESS_CPUCLOCK)."""
    return (~pid << 3) | 2


def clock_seconds(clock):
    """CPU seconds on that clock, or None once its process is gone."""
    ns = clock_ns(clock)
    return None if ns is None else ns / 1e9


def schedstat_seconds(fd):
    """CPU seconds of a thread from its schedstat file, or None once the thread is gone."""
    return parse_schedstat(pread(fd))


def pread(fd):
    """A schedstat reading, raw, or None once its thread is gone."""
    try:
        return os.pread(fd, 64, 0)
    except OSError:
        return None


def clock_ns(clock):
    """A CPU clock in ns, or None once its process is gone."""
    try:
        return time.clock_gettime_ns(clock)
    except OSError:
        return None


def parse_schedstat(raw):
    """CPU seconds from a schedstat reading (its first field, in ns), None for none."""
    try:
        return int(raw.split()[0]) / 1e9
    except (AttributeError, ValueError, IndexError):
        return None
