"""Crowd and vote events leave in batches: whatever arrived within `gap` seconds of the first is
committed once and offered to every socket as one batch (300 taps are a handful of broadcasts,
not 300 of them, so slide changes keep their pace).

Summaries that change with every event (a round's counts, a vote's tally) are `dirty` callables,
asked once per batch for their latest message.
"""
import logging
import threading
import time

log = logging.getLogger(__name__)


class Batcher:
    """Collects (message, statements, after) items; a thread of its own publishes them."""

    def __init__(self, hub, write, seq_statement, gap=0.03):
        self.hub, self.write, self.seq_statement, self.gap = hub, write, seq_statement, gap
        self.cond = threading.Condition()
        self.items = []
        self.dirty = {}  # key -> callable returning (message or None, statements)
        self.closed = False
        self.busy = False  # a batch taken but not yet published
        self.opened = None  # time.monotonic() of the first item of the batch being filled
        self.thread = threading.Thread(target=self.run, name="crowd-batcher", daemon=True)
        self.thread.start()

    def add(self, message, statements=(), after=None):
        """Queue a broadcast, the statements that store it, and `after()` to run once it is
        committed (under the hub's lock, so snapshots agree with what was sent)."""
        with self.cond:
            self.items.append((message, list(statements), after))
            batch = self.take_if_due()
        self.send(batch)

    def mark(self, key, summary):
        """Send `summary()`'s message in the next batch (once, however often marked)."""
        with self.cond:
            self.dirty[key] = summary
            batch = self.take_if_due()
        self.send(batch)

    def take_if_due(self):
        """The batch, if it has waited its gap and nobody is publishing (cond held): during a
        burst the thread that brings an item publishes, rather than waiting for this one's
        thread to be scheduled among hundreds; else the batcher's thread is woken."""
        now = time.monotonic()
        if self.opened is None:
            self.opened = now
        if self.busy or now - self.opened < self.gap:
            self.cond.notify()
            return None
        return self.take()

    def take(self):
        """Everything queued, as one batch; one publisher at a time (cond held)."""
        items, self.items = self.items, []
        dirty, self.dirty = self.dirty, {}
        self.busy, self.opened = True, None
        return items, dirty

    def send(self, batch):
        if batch is None:
            return
        try:
            self.publish(*batch)
        except Exception:  # a bad batch must not stop the next ones
            log.exception("crowd batch failed")
        finally:
            with self.cond:
                self.busy = False
                self.cond.notify()  # more may have come meanwhile

    def run(self):
        """Publish a batch once its gap has passed, when no item came to carry it out."""
        while True:
            with self.cond:
                while not (self.items or self.dirty or self.closed):
                    self.cond.wait()  # blocking
                if self.closed and not (self.items or self.dirty):
                    return
                while not self.closed and (self.busy or self.left() > 0):
                    self.cond.wait(None if self.busy else self.left())  # blocking
                if self.busy or not (self.items or self.dirty):
                    continue
                batch = self.take()
            self.send(batch)

    def left(self):
        """Seconds until the batch is due (cond held)."""
        if self.opened is None:
            return 0.0
        return self.gap - (time.monotonic() - self.opened)

    def publish(self, items, dirty):
        messages, statements, afters = [], [], []
        for message, stmts, after in items:
            if message is not None:
                messages.append(message)
            statements += stmts
            if after:
                afters.append(after)
        for summary in dirty.values():
            message, stmts = summary()
            statements += stmts
            if message is not None:
                messages.append(message)
        if not messages:
            if statements:
                self.write(statements)
            return

        def persist(stamped):
            self.write(statements + [self.seq_statement(stamped[-1]["seq"])])
            for after in afters:
                after()
        self.hub.publish_all(messages, persist=persist)

    def flush(self, timeout=5.0):
        """Wait until everything queued so far has gone out (tests, shutdown)."""
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            with self.cond:
                if not (self.items or self.dirty or self.busy):
                    return True
            time.sleep(0.01)  # polling a condition with a deadline
        return False

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify()
        self.thread.join(5)  # blocking
