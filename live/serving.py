"""How gunicorn serves the app (app.py configures it): the gthread worker with a cap on open
connections per client, a deadline on each request head, an abort that exits at once and a
clean stop of our services; the master, excusing a pause of the whole app.

WebSockets are not served here once their handshake is done: live/reactor.py owns them.
"""
import errno
import os
import socket
import threading
import time

from gunicorn.arbiter import Arbiter
from gunicorn.workers.gthread import TConn, ThreadWorker

from live import close_app
from live.clients import PeerCounts, peer_of

PAUSED = 2.0  # seconds: a master loop (every second) this late means the whole app was stopped
PAUSE_GRACE = 10.0  # seconds the worker has to report in after such a pause
REFUSAL = (b"HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain"
           b"\r\nRetry-After: 5\r\nContent-Length: 42\r\n\r\n"
           b"too many connections or messages from you\n")


def shutdown(worker):
    """Stop the app's services once, in a thread of its own (safe from a signal handler); the
    interpreter waits for it, so slow servers and runs are stopped even on a quick exit."""
    with worker.closing:
        if worker.closer is None and worker.wsgi is not None:
            worker.closer = threading.Thread(target=close_app, args=(worker.wsgi,),
                                             name="shutdown")
            worker.closer.start()
    return worker.closer


class CountedConn(TConn):
    """A gunicorn connection counted against its client's cap until it closes (once). A
    WebSocket's socket has been detached by then (the reactor owns it): nothing to close."""

    def __init__(self, cfg, sock, client, server, counts):
        super().__init__(cfg, sock, client, server)
        self.counts, self.peer, self.counted = counts, peer_of(client), True

    def close(self, graceful=False):
        if self.counted:
            self.counted = False
            self.counts.give(self.peer)
        if self.sock.fileno() == -1:
            return
        try:
            super().close(graceful)
        except OSError:
            self.sock.close()


class DeckWorker(ThreadWorker):
    """gthread, plus: SIGTERM closes our WebSockets; a cap on open connections per client;
    a deadline on each request head (a client that sends one byte and waits loses its thread
    after --header-timeout); an abort that exits at once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closing = threading.Lock()
        self.closer = None
        self.wsgi = None
        self.connections = PeerCounts(self.cfg.deck_conns_per_client)
        self.reading = {}  # conn -> monotonic deadline for its request head
        self.reading_lock = threading.Lock()
        self.local = threading.local()

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        shutdown(self)

    def handle_abort(self, sig, frame):
        """gunicorn's timeout (a hung worker): stop the runs and slow servers, then go at once;
        a plain exit would wait for every pool thread and could hang (seen once)."""
        self.alive = False
        closer = shutdown(self)
        if closer is not None:
            closer.join(10)  # blocking
        os._exit(1)

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK,
                               errno.EMFILE, errno.ENFILE):
                raise
            return
        peer = peer_of(client_addr)
        if self.benched(peer) or not self.connections.take(peer):
            refuse(client_sock)
            return
        self.nr_conns += 1
        client_sock.setblocking(True)
        conn = CountedConn(self.cfg, client_sock, client_addr, listener.getsockname(),
                           self.connections)
        self.enqueue_req(conn)

    def benched(self, peer):
        """An address whose WebSocket was closed for flooding is refused at once, for a while
        (--flood-bench): its reconnects then cost no request parsing at all."""
        live = self.wsgi.extensions.get("live") if self.wsgi is not None else None
        return live is not None and live.websockets.benched_for(peer) > 0

    def handle(self, conn):
        """Serve one request with a deadline on its head (cleared by pre_request)."""
        self.local.conn = conn
        with self.reading_lock:
            self.reading[conn] = time.monotonic() + self.cfg.deck_header_timeout
        try:
            return super().handle(conn)
        finally:
            self.head_read(conn)

    def head_read(self, conn):
        with self.reading_lock:
            self.reading.pop(conn, None)

    def murder_pending(self):
        """Every loop pass (about a second): also cut heads that missed their deadline; the
        thread reading one gets end-of-file and goes back to the pool."""
        super().murder_pending()
        now = time.monotonic()
        with self.reading_lock:
            late = [conn for conn, deadline in self.reading.items() if deadline < now]
            for conn in late:
                del self.reading[conn]
        for conn in late:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def refuse(sock):
    """A client over its cap: a 429 if it fits at once, then close (no thread, no wait)."""
    try:
        sock.setblocking(False)
        sock.send(REFUSAL)
    except OSError:
        pass
    sock.close()


def pre_request(worker, _req):
    worker.head_read(worker.local.conn)


class DeckArbiter(Arbiter):
    """gunicorn's master, excusing a pause of the whole app: after SIGSTOP/SIGCONT (Ctrl-Z,
    a debugger, a laptop lid with a stopped terminal) the heartbeat looks minutes old, and
    gunicorn would kill the worker, every socket and the active run with it."""

    def __init__(self, app):
        super().__init__(app)
        self.last_pass = time.monotonic()
        self.excused_until = 0.0

    def murder_workers(self):
        now = time.monotonic()
        if now - self.last_pass > PAUSED:
            self.log.warning("the app was paused for %.0f s: its worker has %.0f s to report in",
                             now - self.last_pass, PAUSE_GRACE)
            self.excused_until = now + PAUSE_GRACE
        self.last_pass = now
        if now >= self.excused_until:
            super().murder_workers()


def worker_int(worker):
    shutdown(worker)


def worker_exit(_server, worker):
    closer = shutdown(worker)
    if closer is not None:
        closer.join(30)  # blocking
