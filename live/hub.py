"""WebSocket subscribers: a bounded queue and one writer thread per socket, broadcast with seq.

Only a subscriber's writer thread calls ws.send (two threads sending on one socket corrupt its
frames). A broadcast never waits for a socket: it offers the text to every queue, and a follower
whose queue is full is dropped (its socket shut down), so it reconnects and re-syncs from hello.
"""
import json
import queue
import socket
import threading
import time

from simple_websocket import ConnectionClosed

STOP = None  # the writer's sentinel


class Subscriber:
    """One open WebSocket: its role, its outgoing queue and the thread that drains it."""

    def __init__(self, ws, role, size):
        self.ws, self.role = ws, role
        self.queue = queue.Queue(size)
        self.dead = False
        self.writer = threading.Thread(target=self.drain, name=f"ws-writer-{role}", daemon=True)

    def offer(self, text):
        """Queue a text frame without waiting; False if the queue is full or the socket dead."""
        if self.dead:
            return False
        try:
            self.queue.put_nowait(text)
        except queue.Full:
            return False
        return True

    def drain(self):
        """The writer thread: send queued frames in order until STOP or a dead socket."""
        while (text := self.queue.get()) is not STOP:  # blocking
            try:
                self.ws.send(text)  # blocking
            except (ConnectionClosed, OSError):
                self.kill()
                return

    def stop(self, wait=2.0):
        """End the writer after what is queued; kill the socket if it cannot get there in time."""
        if not self.offer(STOP):
            self.kill()
        self.writer.join(wait)  # blocking
        if self.writer.is_alive():
            self.kill()

    def kill(self):
        """Shut the socket down at once (it never blocks): reader, writer and handler all end."""
        self.dead = True
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed
        try:
            self.queue.put_nowait(STOP)  # wakes a writer waiting on an empty queue
        except queue.Full:
            pass  # the writer is busy sending, and that send now fails


def bound_send_buffer(ws, size):
    """A fixed kernel send buffer per socket: without it Linux grows it to megabytes for a
    follower that stops reading, so a room of them would pin a lot of memory and the queue
    (where we notice a slow follower) would fill only much later."""
    if size:
        try:
            ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        except OSError:
            pass  # not a TCP socket (tests with fakes); nothing to bound


def encode(message):
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


class Hub:
    """Every subscriber behind one lock; broadcasts are numbered by a global `seq`."""

    def __init__(self, seq=0, queue_size=1024, send_buffer=64 * 1024):
        self.lock = threading.Lock()
        self.subscribers = set()
        self.seq = seq
        self.queue_size = queue_size
        self.send_buffer = send_buffer
        self.dropped = 0

    def join(self, ws, role, greeting):
        """Add a socket; its first frame is `greeting(seq)`, built under the lock so that no
        broadcast falls between the snapshot and the subscription."""
        sub = Subscriber(ws, role, self.queue_size)
        bound_send_buffer(ws, self.send_buffer)
        with self.lock:
            sub.offer(encode(greeting(self.seq)))
            self.subscribers.add(sub)
        sub.writer.start()
        return sub

    def leave(self, sub):
        """Remove a socket whose handler is ending and stop its writer."""
        with self.lock:
            self.subscribers.discard(sub)
        sub.stop()

    def resync(self, sub, greeting):
        """Answer a `sync`: a fresh greeting, consistent with the broadcasts around it."""
        with self.lock:
            self.tell_locked(sub, greeting(self.seq))

    def tell(self, sub, message):
        """Send one message (a reject) to one socket only; no seq."""
        with self.lock:
            self.tell_locked(sub, message)

    def tell_locked(self, sub, message):
        if not sub.offer(encode(message)):
            self.drop(sub)

    def publish(self, message, persist=None):
        """Stamp `seq` and `at`, commit it through `persist`, then offer it to every socket.

        The lock spans the commit and the fan-out, so every socket sees seq in order and
        nothing is shown before it is on disk.
        """
        with self.lock:
            self.seq += 1
            message = {**message, "seq": self.seq, "at": round(time.time(), 6)}
            if persist is not None:
                persist(message)
            text = encode(message)
            for sub in list(self.subscribers):
                if not sub.offer(text):
                    self.drop(sub)
        return message

    def snapshot(self, read):
        """`read(seq)` with no broadcast in between (for GET /api/state)."""
        with self.lock:
            return read(self.seq)

    def drop(self, sub):
        """A follower too slow to keep its queue: shut it down (lock held)."""
        self.subscribers.discard(sub)
        self.dropped += 1
        sub.kill()

    def count(self):
        with self.lock:
            return len(self.subscribers)

    def close_all(self):
        """Shut every socket down (the app is stopping)."""
        with self.lock:
            subs, self.subscribers = list(self.subscribers), set()
        for sub in subs:
            sub.kill()
