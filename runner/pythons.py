"""Other Python interpreters a demo may need, and whether this one is it.

cpu_threads_ft is cpu_threads run by a free-threaded build (PEP 703; supported since 3.14 per
PEP 779): the deck app finds one on PATH (python3.14t, python3.13t, Debian's python3.13-nogil)
or takes --free-threaded-python PATH, checks that it runs without the GIL and can import the
runner, and starts that demo's runner with it. cpu_interpreters needs Python 3.14
(concurrent.interpreters, PEP 734): a 3.14t serves both, else python3.14 on PATH. Where there is
none the run says so: a demo never shows a result its interpreter did not produce.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = ("python3.14t", "python3.13t", "python3.13-nogil")
HOW_TO_GET = ("get one with `uv python install 3.14t` (or the python.org installer's "
              "free-threaded option) and start the app with --free-threaded-python PATH")
# Run by the candidate: is the GIL off, and can it import the runner (stdlib only)?
PROBE = ("import sys, runner.run; "
         "print(sys.version.split()[0], getattr(sys, '_is_gil_enabled', lambda: True)())")


def gil_enabled():
    """False only on a free-threaded build running without the GIL."""
    return getattr(sys, "_is_gil_enabled", lambda: True)()


def problem(needs):
    """Why this interpreter cannot run a demo that needs `needs` ("", "free-threaded" or
    "3.14"), or None when it can."""
    here = sys.version.split()[0]
    if needs == "free-threaded" and gil_enabled():
        return f"no free-threaded Python here: this is Python {here} with the GIL; {HOW_TO_GET}"
    if needs == "3.14" and sys.version_info < (3, 14):
        return (f"no Python 3.14 here (subinterpreters, PEP 734): this is Python {here}; "
                "get one with `uv python install 3.14t` and start the app with "
                "--free-threaded-python PATH, or put python3.14 on PATH")
    return None


def unavailable(needs, found):
    """What a panel says before Run when the app has no interpreter for `needs` (`found` is
    the one it has, or None); None when nothing is missing."""
    if not needs or found:
        return None
    get = "uv python install 3.14t, then --free-threaded-python PATH"
    if needs == "free-threaded":
        return f"no free-threaded Python on this machine ({get})"
    return f"no Python 3.14 on this machine ({get})"


def probe(path, free_threaded=True):
    """(version, None) if `path` is a (free-threaded) Python that can run the runner, else
    (None, a one-line reason)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_GIL": "0"}
    try:
        done = subprocess.run([str(path), "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"{path} does not run: {error}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"{path} cannot import the runner: {last}"
    version, gil = done.stdout.split()
    if free_threaded and gil != "False":
        return None, f"{path} (Python {version}) runs with the GIL: not a free-threaded build"
    return version, None


def find_free_threaded():
    """(path, version) of the first free-threaded Python on PATH that works, or (None, None)."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            version, _ = probe(path)
            if version:
                return path, version
    return None, None


def at_least(version, wanted=(3, 14)):
    return tuple(int(part) for part in version.split(".")[:2] if part.isdigit()) >= wanted


def find_python314(free_threaded=None):
    """A Python 3.14 for cpu_interpreters: the free-threaded one if it is 3.14 or later (a
    (path, version) pair, or None), else python3.14 on PATH; None if there is none."""
    if free_threaded and free_threaded[0] and at_least(free_threaded[1]):
        return free_threaded[0]
    path = shutil.which("python3.14")
    if path:
        version, _ = probe(path, free_threaded=False)
        if version and at_least(version):
            return path
    return None
