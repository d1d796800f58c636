"""The same CPU-bound work on k processes: each has its own interpreter and
its own GIL, so they run on separate cores at once."""
from multiprocessing import Pool

from demos.cpu_work import main, work


def work_all(sizes, limit):
    with Pool(processes=limit) as pool:
        return pool.map(work, sizes, chunksize=1)  # blocking


if __name__ == "__main__":
    main(work_all)
