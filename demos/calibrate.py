"""How long one step of demos.cpu_work.work takes here, measured once and shared by runs.

cpu_threads and cpu_processes must do the *same* work to be compared, so the measurement is
kept (an hour, per interpreter) in the temp folder instead of being redone, with its noise, by
each run.
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from demos.cpu_work import work

CACHE = Path(tempfile.gettempdir()) / f"demos-cpu-calibration-{os.getuid()}.json"
MAX_AGE = 3600


def measure(probe=20_000, tries=15):
    """Seconds per step: the median of short probes, so one preempted probe does not skew it."""
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        work(probe)
        times.append(time.perf_counter() - start)
    return sorted(times)[tries // 2] / probe


def step_seconds():
    """The cached measurement if fresh and made by this interpreter, else a new one."""
    try:
        cached = json.loads(CACHE.read_text())
        if cached["python"] == sys.executable and time.time() - cached["at"] < MAX_AGE:
            return cached["step"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    step = measure()
    scratch = CACHE.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps({"python": sys.executable, "at": time.time(), "step": step}))
    os.replace(scratch, CACHE)  # atomic: a concurrent run reads the old or the new file
    return step


def size_for(seconds):
    """The loop length that keeps one core busy for `seconds`."""
    return max(1, round(seconds / step_seconds()))
