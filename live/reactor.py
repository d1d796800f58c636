"""The reactor: one thread that reads and writes every WebSocket (selectors), so an open socket
costs no thread of its own and every byte on a socket has one writer.

Other threads hand it work through `poke(conn)` (frames queued, a close, a kill) and a wake-up
pipe. Messages that arrive are handled by two small pools (one for the presenter, so a room of
audience syncs never delays a slide change), one job per socket at a time, in order. The
reactor also pings every socket and ends those that do not answer or whose output stalls.
"""
import logging
import os
import selectors
import threading
import time
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)
TICK = 1.0  # seconds between housekeeping passes (pings, stalls, lingering closes)
LINGER = 2.0  # seconds a closed socket waits for the peer's close before it is cut
PAUSED = 5.0  # seconds a housekeeping pass came late: the process itself was stopped


class Reactor:
    def __init__(self, ping_interval=25.0, handlers=8):
        self.ping_interval = ping_interval
        self.selector = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        self.lock = threading.Lock()
        self.dirty = set()  # connections with something for the reactor to do
        self.woken = False
        self.conns = set()  # the reactor thread's own: no lock
        self.masks = {}
        self.pools = {False: ThreadPoolExecutor(handlers, thread_name_prefix="ws-audience"),
                      True: ThreadPoolExecutor(2, thread_name_prefix="ws-presenter")}
        self.running = True
        self.thread = threading.Thread(target=self.loop, name="ws-reactor", daemon=True)
        self.thread.start()

    # -- any thread ---------------------------------------------------------------------------

    def add(self, conn):
        """Take over an open connection (its socket is set non-blocking here)."""
        conn.reactor = self
        conn.sock.setblocking(False)
        self.poke(conn)
        return conn.ended

    def defer(self, function, *args):
        """Run `function(*args)` in a handler thread (work that may wait on a lock)."""
        try:
            self.pools[False].submit(logged, function, *args)
        except RuntimeError:  # shutting down
            logged(function, *args)

    def poke(self, conn):
        """Something to do for `conn`: one wake-up byte however many pokes come before it."""
        with self.lock:  # the pipe is closed under this lock too: never a write to a stale fd
            if not self.running:
                return
            self.dirty.add(conn)
            if self.woken:
                return
            self.woken = True
            try:
                os.write(self.wake_w, b"\0")
            except BlockingIOError:
                pass  # a wake-up is pending anyway

    def handle(self, conn):
        """Drain `conn`'s inbox in a handler thread."""
        try:
            self.pools[conn.urgent].submit(self.run_handler, conn)
        except RuntimeError:  # shutting down
            conn.busy = False

    def count(self):
        return len(self.conns)

    def stop(self):
        """Close every socket and end the thread (the app is stopping)."""
        with self.lock:
            if self.running:
                self.running = False
                try:
                    os.write(self.wake_w, b"\0")
                except OSError:
                    pass
        self.thread.join(5)  # blocking
        for pool in self.pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    # -- the reactor thread -------------------------------------------------------------------

    def loop(self):
        next_tick = time.monotonic() + TICK
        try:
            while self.running:
                timeout = max(0.0, next_tick - time.monotonic())
                events = self.selector.select(timeout)
                if len(events) > 1:  # presenters first: a flood must not delay a goto
                    events.sort(key=lambda event: not (event[0].data and event[0].data.urgent))
                for key, mask in events:
                    if key.data is None:
                        self.woke()
                    else:
                        self.guarded(self.ready, key.data, mask)
                if (now := time.monotonic()) >= next_tick:
                    if now - next_tick > PAUSED:
                        self.resumed(now, now - next_tick + TICK)
                    self.housekeep(now)
                    next_tick = time.monotonic() + TICK
        except Exception:  # a bug here would freeze every socket: say so loudly
            log.exception("the WebSocket reactor failed")
            raise
        finally:
            for conn in list(self.conns):
                self.finish(conn)
            self.selector.close()
            with self.lock:
                self.running = False
                os.close(self.wake_r)
                os.close(self.wake_w)

    def woke(self):
        try:
            while os.read(self.wake_r, 4096):
                pass
        except BlockingIOError:
            pass
        with self.lock:
            dirty, self.dirty, self.woken = self.dirty, set(), False
        for conn in dirty:
            self.guarded(self.attend, conn)

    def guarded(self, step, conn, *args):
        """One socket's step; a bug in it ends that socket, never the loop."""
        try:
            step(conn, *args)
        except Exception:
            log.exception("WebSocket %s failed: closing it", conn.peer)
            self.finish(conn)

    def attend(self, conn):
        """Do what `conn` was poked for: register it, kill it, or write what it has."""
        if conn.dead:
            return
        if conn not in self.conns:
            self.conns.add(conn)
            conn.next_ping = time.monotonic() + self.ping_interval
            conn.since = time.monotonic()
            self.masks[conn] = selectors.EVENT_READ
            self.selector.register(conn.sock, selectors.EVENT_READ, conn)
        if conn.killing:
            self.finish(conn)
        else:
            self.flush(conn)

    def ready(self, conn, mask):
        if conn.dead:
            return
        if mask & selectors.EVENT_READ and not conn.read():
            self.finish(conn)
            return
        if mask & selectors.EVENT_WRITE or conn.closing:
            self.flush(conn)

    def flush(self, conn):
        before = conn.head
        state = conn.write()
        if state == "idle":  # the common case, kept short: everything went out
            if before is not None:
                conn.since = time.monotonic()
            if self.masks[conn] != selectors.EVENT_READ:
                self.want(conn, selectors.EVENT_READ)
            return
        if state == "failed":
            self.finish(conn)
            return
        if state == "closed" and conn.linger_until is None:
            conn.linger_until = time.monotonic() + LINGER
        if state != "blocked" or conn.head is not before:
            conn.since = time.monotonic()  # the output moved
        self.want(conn, selectors.EVENT_READ | (selectors.EVENT_WRITE if state == "blocked"
                                                else 0))

    def want(self, conn, mask):
        if self.masks.get(conn) != mask:
            self.masks[conn] = mask
            self.selector.modify(conn.sock, mask, conn)

    def resumed(self, now, pause):
        """The process was stopped (SIGSTOP, a debugger): nothing moved because we did not
        run, so no socket is cut for it; every clock starts again now."""
        log.warning("resumed after a pause of %.0f s: %d WebSockets kept", pause, len(self.conns))
        for conn in self.conns:
            conn.since, conn.pong_seen = now, True
            conn.next_ping = now + self.ping_interval

    def housekeep(self, now):
        """Pings, and the end of sockets that are silent, stalled or done lingering. After a
        pause of the whole process (SIGSTOP, a debugger) every deadline has passed at once:
        sockets that answered their last ping get a new one, none is cut for the pause."""
        for conn in list(self.conns):
            if conn.dead:
                continue
            if conn.linger_until is not None:
                if now >= conn.linger_until:
                    self.finish(conn)
                continue
            if conn.head is not None and now - conn.since > 2 * self.ping_interval:
                self.finish(conn)  # its output has not moved for two ping intervals
            elif self.ping_interval and now >= conn.next_ping:
                conn.next_ping = now + self.ping_interval
                if conn.pong_seen:
                    conn.ping()
                    self.flush(conn)
                elif conn.head is None:  # nothing on its way to it, and no pong: gone
                    conn.close(1008, "no answer to ping")
                # else: the ping waits behind frames still going out (the stall check above)

    def finish(self, conn):
        if conn in self.conns:
            self.conns.discard(conn)
            self.masks.pop(conn, None)
            try:
                self.selector.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
        conn.finish()

    def run_handler(self, conn):
        try:
            conn.handle_inbox()
        except Exception:  # one socket's bug must not end the pool's thread
            log.exception("WebSocket handler failed")
            conn.busy = False


def logged(function, *args):
    """Run `function(*args)`; an exception is logged, not lost in a future nobody reads."""
    try:
        function(*args)
    except Exception:
        log.exception("deferred %s failed", getattr(function, "__name__", function))
