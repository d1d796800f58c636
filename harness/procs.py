"""Processes from /proc, for tests and benchmarks: parents, descendants, CPU time and memory
of a pid (Linux)."""
import os

TICKS = os.sysconf("SC_CLK_TCK")


def read_stat(pid):
    """(parent pid, CPU seconds, CPU seconds of its reaped children) from /proc/<pid>/stat;
    the name may hold spaces and ')'."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS,
            (int(fields[13]) + int(fields[14])) / TICKS)


def rss_bytes(pid):
    """VmRSS of one process (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def parents():
    """{pid: parent pid} of every process now."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = read_stat(entry)[0]
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass  # it ended while we looked
    return found


def descendants(pid, table):
    """Every process below `pid` in a {pid: parent} table."""
    below, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in table.items() if parent in frontier]
        below += children
        frontier = children
    return below


def cpu_seconds(pid):
    try:
        return read_stat(pid)[1]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
