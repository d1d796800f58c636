"""The CPU-bound work both CPU demos share, and their `main`.

    python -m demos.cpu_threads --n 4 --concurrency 2 --delay 0.5

`delay` is the seconds one task takes on one core (demos/calibrate.py turns it into a loop length).
"""
import argparse
import time

from demos.cli import bounded


def work(size):
    """Pure-Python arithmetic: the thread running it holds the GIL the whole time."""
    total = 0
    for i in range(size):
        total = (total + i) % 1_000_003  # small ints: every step costs the same
    return total


def main(work_all, argv=None):
    parser = argparse.ArgumentParser(description="Split pure-Python CPU work over k workers.")
    parser.add_argument("--n", type=bounded(int, 1, 10_000), default=4, help="tasks")
    parser.add_argument("--concurrency", type=bounded(int, 1, 1000), default=2, help="workers k")
    parser.add_argument("--delay", type=bounded(float, 0, 30), default=0.5,
                        help="seconds one task takes on one core")
    args = parser.parse_args(argv)
    from demos.calibrate import size_for  # outside the slide's code: a measurement, not the lesson
    sizes = [size_for(args.delay)] * args.n
    start = time.perf_counter()
    results = work_all(sizes, args.concurrency)
    print(f"{len(results)} tasks, total: {time.perf_counter() - start:.3f} s")
