"""Per-client caps: how many connections or WebSockets one address may hold open at once.

A room where every phone has its own address needs only a few each; a room behind one NAT
shows every phone as one address, so the caps are flags (0: no cap). See docs/ARCHITECTURE.md.
"""
import threading
import time


class PeerCounts:
    """Open things per peer address, with a cap per address and one over all (0: none)."""

    def __init__(self, per_peer=0, total=0):
        self.per_peer, self.total = per_peer, total
        self.lock = threading.Lock()
        self.open = {}
        self.sum = 0
        self.benched = {}  # peer -> monotonic time until which it is refused

    def bench(self, peer, seconds):
        """Refuse `peer` for `seconds` (it was closed for flooding)."""
        with self.lock:
            self.benched[peer] = time.monotonic() + seconds

    def benched_for(self, peer):
        """Seconds `peer` is still refused (0: not at all)."""
        with self.lock:
            until = self.benched.get(peer)
            if until is None:
                return 0.0
            left = until - time.monotonic()
            if left <= 0:
                del self.benched[peer]
                return 0.0
            return left

    def take(self, peer):
        """Count one more for `peer`; False (nothing counted) if a cap says no."""
        with self.lock:
            held = self.open.get(peer, 0)
            if (self.per_peer and held >= self.per_peer) or (self.total and self.sum >= self.total):
                return False
            self.open[peer] = held + 1
            self.sum += 1
            return True

    def give(self, peer):
        with self.lock:
            held = self.open.get(peer, 0)
            if held <= 1:
                self.open.pop(peer, None)
            else:
                self.open[peer] = held - 1
            self.sum -= held > 0

    def held(self, peer=None):
        with self.lock:
            return self.sum if peer is None else self.open.get(peer, 0)


def peer_of(address):
    """The address part of a peer (IPv4 or IPv6 tuple, or a string); '' for a Unix socket."""
    if isinstance(address, (tuple, list)):
        return str(address[0])
    return str(address or "")
