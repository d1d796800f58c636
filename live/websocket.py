"""One WebSocket after its handshake: the socket taken from the HTTP server, wsproto's state,
bounded buffers both ways. Only the reactor (live/reactor.py) reads or writes its socket.

Other threads `send()` ready-made frames (queued, never written by them), `close()` with a code
(the close frame is queued behind what is being written, never inside it) or `kill()` it. So a
ping, a pong or a close frame can never land inside a batch that goes out in pieces.
"""
import socket
import struct
import threading
from collections import deque

from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Ping, Pong,
                            Request, TextMessage)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

READ_BYTES = 16 * 1024  # one recv per readiness event: a flooding socket cannot hog the loop
FRAMES_PER_READ = 64  # frames parsed per readiness event, at most (wsproto: ~20-50 us each)
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() resets the connection
DISCARD = 64 * 1024  # bytes read and dropped after our close frame before the socket is cut
POLICY = 1008  # close code: policy violation
TOO_BIG = 1009


class Refused(Exception):
    """A handshake we do not accept: an HTTP status and a one-line reason."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


def handshake(environ):
    """(wsproto connection, the bytes of the 101 answer) for a WSGI upgrade request.
    permessage-deflate is declined: one encoding of a broadcast serves every socket."""
    proto = WSConnection(ConnectionType.SERVER)
    head = ["GET / HTTP/1.1"]
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            head.append(f"{'-'.join(p.capitalize() for p in key[5:].split('_'))}: {value}")
    try:
        proto.receive_data(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        event = next(proto.events(), None)
    except (RemoteProtocolError, UnicodeEncodeError) as exc:
        raise Refused(400, f"bad WebSocket handshake: {one_line(exc)}") from None
    if not isinstance(event, Request):
        raise Refused(400, "bad WebSocket handshake: not an upgrade request")
    return proto, proto.send(AcceptConnection(extensions=[]))


def one_line(value, limit=120):
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def take_socket(environ):
    """The client's socket, taken from the HTTP server: (socket, server mode).

    gunicorn: detached from its connection (gunicorn's copy becomes an empty shell), so the
    handler thread goes back to the pool at once. Werkzeug (development): a duplicate, and the
    handler waits until the socket is closed."""
    if "gunicorn.socket" in environ:
        return socket.socket(fileno=environ["gunicorn.socket"].detach()), "gunicorn"
    if "werkzeug.socket" in environ:
        return environ["werkzeug.socket"].dup(), "werkzeug"
    raise Refused(400, "WebSockets need the app's own server (python app.py)")


class Connection:
    """An open WebSocket. `on_message(text_or_bytes)` and `on_close()` are the owner's;
    `limits.allow_any()` is asked for every incoming message before it is queued."""

    CLOSE = object()  # marker in the output queue: a close frame goes here

    def __init__(self, sock, proto, peer, limits, out_size=1024, in_size=64,
                 max_message=64 * 1024, urgent=False):
        self.sock, self.proto, self.peer, self.limits = sock, proto, peer, limits
        self.out_size, self.in_size, self.max_message = out_size, in_size, max_message
        self.urgent = urgent  # the presenter: handled apart from the audience
        self.lock = threading.Lock()  # guards out, inbox, busy and the flags below
        self.out = deque()  # frames (bytes) waiting for the reactor, or CLOSE
        self.head = None  # memoryview of the frames being written now
        self.inbox = deque()
        self.busy = False  # a handler job is draining the inbox
        self.partial = []  # fragments of the message being received
        self.partial_size = 0
        self.closing = False  # our close frame is queued; nothing more is read
        self.close_code = None  # (code, reason) of the close we send
        self.dead = False  # killed, or finished: nothing more is sent
        self.killing = False
        self.on_message = self.on_close = self.on_abuse = None
        self.reactor = None
        self.pong_seen = True
        self.next_ping = 0.0
        self.since = 0.0  # monotonic time the output last moved (or was empty)
        self.linger_until = None
        self.discarded = 0
        self.ended = threading.Event()

    # -- any thread ---------------------------------------------------------------------------

    def send(self, frames):
        """Queue wire bytes of whole frames; False if the queue is full or the socket is done."""
        with self.lock:
            if self.dead or self.closing or len(self.out) >= self.out_size:
                return False
            self.out.append(frames)
        self.poke()
        return True

    def close(self, code, reason):
        """Send a close frame after what is being written (queued frames are dropped), stop
        reading, and end the socket once the peer answers or soon after."""
        with self.lock:
            if self.dead or self.closing:
                return
            self.closing, self.close_code = True, (code, reason)
            self.out.clear()
            self.out.append(self.CLOSE)
        self.poke()

    def abused(self, reason):
        """Close for flooding (1008); the owner may refuse this address for a while."""
        self.close(POLICY, reason)
        if self.on_abuse is not None:
            self.on_abuse()

    def kill(self):
        """End the socket at once, without a close frame (a follower too slow to keep up)."""
        with self.lock:
            if self.dead:
                return
            self.killing = True
        self.poke()

    def poke(self):
        if self.reactor is not None:
            self.reactor.poke(self)

    @property
    def connected(self):
        return not (self.dead or self.closing or self.killing)

    # -- the reactor's thread only ------------------------------------------------------------

    def read(self):
        """Read what arrived; returns False when the socket is finished."""
        try:
            data = self.sock.recv(READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        if not data:
            return False
        if self.closing:  # after our close: discard until the peer's EOF, a little at most
            self.discarded += len(data)
            return self.discarded < DISCARD
        self.proto.receive_data(data)
        for count, event in enumerate(self.proto.events()):
            if not self.take(event) or count >= FRAMES_PER_READ:
                break
        return True

    def take(self, event):
        """One protocol event; False once the socket is closing."""
        if isinstance(event, (TextMessage, BytesMessage)):
            return self.take_data(event)
        if isinstance(event, Ping):
            self.control(self.proto.send(event.response()))
        elif isinstance(event, Pong):
            self.pong_seen = True
        elif isinstance(event, CloseConnection):  # the peer's close, or a protocol error
            self.close(event.code, event.reason or "")
            return False
        return not self.closing

    def take_data(self, event):
        self.partial_size += len(event.data)
        if self.partial_size > self.max_message:
            self.close(TOO_BIG, "message too big")
            return False
        self.partial.append(event.data)
        if not event.message_finished:
            return True
        parts, self.partial, self.partial_size = self.partial, [], 0
        message = parts[0] if len(parts) == 1 else type(parts[0])().join(parts)
        return self.deliver(message)

    def deliver(self, message):
        """Queue a whole message for the owner's handler: over the socket's rate or with a
        full inbox, the socket is closed (1008) instead of answered frame by frame."""
        if not self.limits.allow_any():
            self.abused("too many messages")
            return False
        with self.lock:
            if len(self.inbox) >= self.in_size:
                full = True
            else:
                full = False
                self.inbox.append(message)
                start, self.busy = not self.busy, True
        if full:
            self.abused("too many messages waiting")
            return False
        if start:
            self.reactor.handle(self)
        return True

    def control(self, data):
        """Queue a control frame (pong, ping) behind the frames already queued."""
        with self.lock:
            if not (self.dead or self.closing):
                self.out.append(data)

    def ping(self, payload=b"hb"):
        try:
            data = self.proto.send(Ping(payload))
        except LocalProtocolError:
            return
        self.pong_seen = False
        self.control(data)

    def write(self):
        """Write queued frames until done or the kernel buffer is full. Returns "idle",
        "blocked", "closed" (our close frame is out) or "failed"."""
        while True:
            if self.head is None:
                with self.lock:
                    item = self.out.popleft() if self.out else None
                if item is None:
                    return "idle"
                if item is self.CLOSE:
                    return self.write_close()
            else:
                item = self.head
            try:
                sent = self.sock.send(item)
            except (BlockingIOError, InterruptedError):
                self.head = item if self.head is None else self.head
                return "blocked"
            except OSError:
                return "failed"
            self.head = memoryview(item)[sent:] if sent < len(item) else None

    def write_close(self):
        code, reason = self.close_code
        try:
            data = self.proto.send(CloseConnection(code, reason[:120]))
        except LocalProtocolError:
            data = b""
        try:
            self.sock.send(data)  # small: fits an empty send buffer
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return "failed"
        return "closed"

    def finish(self):
        """Close the socket and tell the owner (once). One cut with frames still unsent (a
        follower too slow, or stalled) is reset: else the kernel goes on trying to deliver up
        to a send buffer of them, its FIN behind them, to a peer that does not read."""
        with self.lock:
            if self.dead:
                return
            self.dead = True
            unsent = self.head is not None or bool(self.out)
            self.out.clear()
            self.inbox.clear()
        try:
            if unsent:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
            self.sock.shutdown(socket.SHUT_RDWR)  # also ends a Werkzeug handler's duplicate
        except OSError:
            pass
        self.sock.close()
        self.ended.set()
        if self.on_close is not None:
            self.on_close()

    # -- a handler thread ---------------------------------------------------------------------

    def handle_inbox(self):
        """Run the owner's handler on each queued message, in order (one job per socket)."""
        while True:
            with self.lock:
                if not self.inbox or self.dead:
                    self.busy = False
                    self.inbox.clear()
                    return
                message = self.inbox.popleft()
            self.on_message(message)
