"""What app.py checks before gunicorn starts: the address, the instance database, the
--replay-from file. Each failure exits 1 with one line saying what to do (no traceback, nothing
written or replaced)."""
import errno
import socket
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from live.replay import open_database
from live.store import DATABASE_NAME, Store


def check_bind(host, port):
    """A one-line reason instead of gunicorn's five retries when the address is taken or wrong."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            hint = " (--port 0 picks a free one)" if exc.errno == errno.EADDRINUSE else ""
            sys.exit(f"app.py: error: cannot listen on {host}:{port}: {exc.strerror or exc}{hint}")


def database_problem(path):
    """Why the database at `path` cannot be used, or None. Read-only first (a damaged file is
    never written to), then the reads every page and socket makes."""
    if not path.is_file():
        return "it is not a file"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            return verdict.splitlines()[0]
        store = Store(path)
        try:
            store.slide(), store.last_seq(), store.runs(), store.active()
        finally:
            store.close()
    except sqlite3.Error as exc:
        return str(exc)
    except (ValueError, TypeError, KeyError) as exc:
        return f"unreadable data: {type(exc).__name__}: {exc}"
    return None


def check_database(folder):
    """A damaged database stops the start with one line saying what to do; the file is kept."""
    path = Path(folder) / DATABASE_NAME
    problem = database_problem(path) if path.exists() else None
    if problem:
        sys.exit(f"app.py: error: the database {path} is damaged ({problem}); it was left as "
                 "it is: move it aside to start afresh, or pass --instance with another folder")


def check_replay_from(path):
    try:
        open_database(path).close()
    except ValueError as exc:
        sys.exit(f"app.py: error: --replay-from {exc}")
