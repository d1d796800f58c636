"""The same CPU-bound work on k subinterpreters (Python 3.14, PEP 734):
one process, but each interpreter has its own GIL, so they run on separate
cores at once. The function and its arguments are pickled into each one."""
from concurrent.futures import InterpreterPoolExecutor

from demos.cpu_work import main, work


def work_all(sizes, limit):
    with InterpreterPoolExecutor(max_workers=limit) as pool:
        return list(pool.map(work, sizes))  # blocking


if __name__ == "__main__":
    main(work_all)
