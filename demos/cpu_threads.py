"""CPU-bound work on k threads: only the thread holding the GIL runs Python
code, so k threads take as long as one core doing all the work.

On a free-threaded build (python3.13t and later; there
sys._is_gil_enabled() returns False) these threads run on separate cores,
about as fast as the processes.
"""
from concurrent.futures import ThreadPoolExecutor

from demos.cpu_work import main, work


def work_all(sizes, limit):
    with ThreadPoolExecutor(max_workers=limit) as pool:
        futures = [pool.submit(work, size) for size in sizes]
        return [future.result() for future in futures]  # blocking


if __name__ == "__main__":
    main(work_all)
