"""WebSocket subscribers: a bounded queue per socket, broadcast with seq.

Nothing here writes to a socket: a subscriber's frames go to its connection's queue and the
reactor (live/reactor.py), the one thread that writes to every socket, sends them, along with
pings, pongs and close frames, never one inside another. A broadcast never waits for a socket:
it encodes its frames once and offers the same bytes to every queue, and a follower whose queue
is full is dropped (its socket cut), so it reconnects and re-syncs from hello.
"""
import json
import socket
import threading
import time

from wsproto.frame_protocol import FrameProtocol


class Subscriber:
    """One open WebSocket: its role and its connection (live/websocket.py), whose queue holds
    batches (the wire bytes of one or more text frames, built once for every socket): one
    broadcast of many events costs one queue entry and one send per socket."""

    def __init__(self, conn, role):
        self.conn, self.role = conn, role

    @property
    def dead(self):
        return self.conn.dead or self.conn.killing

    def offer(self, batch):
        """Queue a batch of frames without waiting; False if full or the socket is done."""
        return self.conn.send(batch)

    def close(self, code, reason):
        """A close frame after what is being written (see Connection.close)."""
        self.conn.close(code, reason)

    def kill(self):
        """Cut the socket at once (the reactor does it): reader and handler end."""
        self.conn.kill()


# Server frames are unmasked and, with no extension negotiated, the same bytes on every socket:
# encode a broadcast once, not once per follower. Callers hold the hub's lock (one at a time).
SERVER_FRAMES = FrameProtocol(client=False, extensions=[])


def frames(texts):
    """The wire bytes of text frames, one per text."""
    return b"".join(SERVER_FRAMES.send_data(text, True) for text in texts)


def bound_send_buffer(sock, size):
    """A fixed kernel send buffer per socket: without it Linux grows it to megabytes for a
    follower that stops reading, so a room of them would pin a lot of memory and the queue
    (where we notice a slow follower) would fill only much later."""
    if size:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        except OSError:
            pass  # not a TCP socket (tests with fakes); nothing to bound


def encode(message):
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


def text(message):
    """A message as JSON text; a greeting may come ready-made (it splices cached JSON)."""
    return message if isinstance(message, str) else encode(message)


class Hub:
    """Every subscriber behind one lock; broadcasts are numbered by a global `seq`."""

    def __init__(self, seq=0, queue_size=1024, send_buffer=64 * 1024):
        self.lock = threading.Lock()
        self.publishing = threading.Lock()  # one publisher at a time: seq order is disk order
        self.subscribers = set()
        self.seq = seq
        self.queue_size = queue_size
        self.send_buffer = send_buffer
        self.dropped = 0

    def join(self, conn, role, greeting):
        """Add a connection; its first frame is `greeting(seq)`, built under the lock so that
        no broadcast falls between the snapshot and the subscription."""
        sub = Subscriber(conn, role)
        bound_send_buffer(conn.sock, self.send_buffer)
        with self.lock:
            sub.offer(frames([text(greeting(self.seq))]))
            self.subscribers.add(sub)
        return sub

    def leave(self, sub):
        """Remove a socket that has ended."""
        with self.lock:
            self.subscribers.discard(sub)

    def resync(self, sub, greeting):
        """Answer a `sync`: a fresh greeting, consistent with the broadcasts around it."""
        with self.lock:
            self.tell_locked(sub, greeting(self.seq))

    def tell(self, sub, message):
        """Send one message (a reject) to one socket only; no seq."""
        with self.lock:
            self.tell_locked(sub, message)

    def tell_locked(self, sub, message):
        if not sub.offer(frames([text(message)])):
            self.drop(sub)

    def publish(self, message, persist=None):
        """Broadcast one message (see publish_all); returns it stamped."""
        persist_all = None if persist is None else lambda messages: persist(messages[0])
        return self.publish_all([message], persist_all)[0]

    def publish_all(self, messages, persist=None, wire=None):
        """Stamp each message with `seq` and `at`, commit them all through `persist`, then
        offer them to every socket as one batch (`wire(stamped)`: the messages that carry them,
        by default the stamped messages themselves). Returns the stamped messages.

        Publishers take turns, so every socket sees seq in order and nothing is shown before it
        is on disk; the commit happens outside the room's lock, so a slow disk never holds up a
        greeting, a snapshot or another socket's join.
        """
        with self.publishing:
            at = round(time.time(), 6)
            stamped = [{**message, "seq": self.seq + k, "at": at}
                       for k, message in enumerate(messages, 1)]
            if persist is not None and stamped:
                persist(stamped)  # blocking (disk)
            with self.lock:
                self.seq += len(stamped)
                batch = frames(encode(message) for message in (wire or list)(stamped))
                for sub in list(self.subscribers):
                    if batch and not sub.offer(batch):
                        self.drop(sub)
        return stamped

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
