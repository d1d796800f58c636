"""The CPU-bound work both CPU demos share, and their `main`.

    python -m demos.cpu_threads --n 4 --concurrency 2 --delay 0.5

`delay`: seconds one task takes on one core (see demos/calibrate.py).
"""
import argparse
import time

from demos.cli import bounded


def work(size):
    """Pure-Python arithmetic: its thread holds the GIL all along."""
    total = 0
    for i in range(size):
        total = (total + i) % 1_000_003  # small ints: each step costs the same
    return total


def parse(argv=None):
    """The CPU demos' options (ranges of runner/params.py PARAMS, checked by a test)."""
    parser = argparse.ArgumentParser(description="CPU work over k workers.")
    parser.add_argument("--n", type=bounded(int, 1, 10_000), default=4,
                        help="tasks")
    parser.add_argument("--concurrency", type=bounded(int, 1, 1000),
                        default=2, help="workers k")
    parser.add_argument("--delay", type=bounded(float, 0, 30), default=0.5,
                        help="seconds one task takes on one core")
    return parser.parse_args(argv)


def main(work_all, argv=None):
    args = parse(argv)
    from demos.calibrate import size_for  # a measurement, not the lesson
    sizes = [size_for(args.delay)] * args.n
    start = time.perf_counter()
    results = work_all(sizes, args.concurrency)
    total = time.perf_counter() - start
    print(f"{len(results)} tasks, total: {total:.3f} s")
