"""Helpers for the socket-layer tests: raw WebSocket clients (harness/rawws.py) against a real
app, read until the server closes, and the app worker's pid and CPU time from /proc."""
import socket
import time
from urllib.parse import urlsplit

from harness import rawws
from harness.procs import cpu_seconds, parents


def address(app):
    parts = urlsplit(app.url)
    return parts.hostname, parts.port


def open_raw(app, source=None, rcvbuf=None):
    """A raw WebSocket (blocking socket past the 101) and the bytes after the head."""
    host, port = address(app)
    return rawws.connect(host, port, source=source, rcvbuf=rcvbuf)


def read_to_close(sock, leftover=b"", deadline=10.0):
    """Every frame until the server closes: (frames, close code or None)."""
    frames, seen = rawws.Frames(), []
    seen += frames.feed(leftover)
    sock.settimeout(deadline)
    try:
        while data := sock.recv(65536):  # blocking
            seen += frames.feed(data)
    except (ConnectionResetError, socket.timeout):
        pass
    closes = [payload for opcode, payload in seen if opcode == rawws.CLOSE]
    code = int.from_bytes(closes[0][:2], "big") if closes and len(closes[0]) >= 2 else None
    return seen, code


def worker_pid(app):
    """The app's gunicorn worker: the one child of the master we started."""
    workers = [pid for pid, parent in parents().items() if parent == app.pid]
    assert len(workers) == 1, workers
    return workers[0]


def cpu_over(pid, seconds):
    """CPU seconds `pid` used over the next `seconds` of wall time (a measurement window)."""
    before = cpu_seconds(pid)
    time.sleep(seconds)  # the window we measure, not a synchronisation
    return cpu_seconds(pid) - before
