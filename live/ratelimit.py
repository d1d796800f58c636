"""Token buckets: a burst of `capacity` messages, then `rate` per second."""
import time


class TokenBucket:
    """Allows `capacity` actions at once, refilled at `rate` tokens per second.

    One bucket belongs to one WebSocket and is used only by that socket's handler thread,
    so it needs no lock.
    """

    def __init__(self, rate, capacity, clock=time.monotonic):
        self.rate, self.capacity, self.clock = float(rate), float(capacity), clock
        self.tokens = float(capacity)
        self.stamp = clock()

    def take(self, cost=1.0):
        """Spend `cost` tokens if there are enough; False means: over the limit."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


#: message type -> (rate per second, burst). "any" bounds every frame a socket sends, junk
#: included: over it, the socket is closed (1008). "reject" bounds the refusals it is answered:
#: past it an audience socket is closed, a presenter's refusals go unanswered.
DEFAULT_LIMITS = {
    "any": (50.0, 100),
    "reject": (5.0, 50),
    "goto": (10.0, 30),
    "run": (0.5, 3),
    "cancel": (1.0, 5),
    "sync": (2.0, 10),
}


class Limits:
    """The buckets of one socket, one per message type plus one for all messages. "any" is
    taken by the reactor's thread, the others by the socket's handler job: one thread each."""

    def __init__(self, limits=None, clock=time.monotonic):
        limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.buckets = {kind: TokenBucket(rate, burst, clock)
                        for kind, (rate, burst) in limits.items()}

    def allow_any(self):
        """True if one more frame of any kind may be taken now (the reactor asks, per frame)."""
        return self.buckets["any"].take()

    def allow(self, kind):
        """True if a message of `kind` may go through now (its own bucket; "any" was taken
        when the frame arrived)."""
        bucket = self.buckets.get(kind)
        return bucket is None or bucket.take()
