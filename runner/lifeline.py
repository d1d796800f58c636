"""Run a command that ends with the process that started it (Linux):

    python -m runner.lifeline PARENT_PID -- COMMAND [ARGS...]

Asks the kernel for SIGTERM when the parent goes (PR_SET_PDEATHSIG, kept across exec), checks
that the parent is still the one named (it may have died already), then becomes COMMAND. So a
slow server never outlives an app that was SIGKILLed. Where prctl does not exist (macOS) it
just runs COMMAND. The kernel's "parent" is the thread that started us: start servers from a
thread that lives as long as the app (runner/serve.py's SPAWNER is one).
"""
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def guard():
    """True if the kernel will signal us when our parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3 or argv[1] != "--" or not argv[0].isdigit():
        sys.exit("usage: python -m runner.lifeline PARENT_PID -- COMMAND [ARGS...]")
    guard()
    if os.getppid() != int(argv[0]):
        sys.exit(0)  # the parent is gone already: nothing to serve
    os.execvp(argv[2], argv[2:])


if __name__ == "__main__":
    main()
