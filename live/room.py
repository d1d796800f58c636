"""Who is in the room: per socket, its device (a pseudonym) and whether it follows the presenter;
the presenter's status bar gets the counts (connected, following, alone, tapping) twice a second
while they change.

Seats are kept by a weak reference to the hub's subscriber, so a socket that leaves takes its
seat with it and nothing here needs a hook into the socket's life.

Following is the socket's state, not the device's: a `follow` that comes before the socket's
`device` is kept on its seat (counted at once), and the device fills the seat in when it comes.
A page from before the device went first on every socket (an open tab keeps its old scripts),
or any client that sends the two in the other order, is not refused for it.
"""
import re
import threading
import weakref

DEVICE = re.compile(r"[A-Za-z0-9_-]{16,64}")
FOLLOW_STATES = ("following", "alone")
PUSH_EVERY = 0.5  # seconds between room updates to the presenter, at most


class Seat:
    def __init__(self, role, device=None):
        self.role, self.device = role, device  # device: its pseudonym, None until said
        self.follow = None


class Room:
    def __init__(self, hub, device_key, tapping=lambda: 0):
        self.hub, self.device_key, self.tapping = hub, device_key, tapping
        self.lock = threading.Lock()
        self.seats = weakref.WeakKeyDictionary()
        self.last = None
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.push, name="room", daemon=True)
        self.thread.start()

    def seat(self, sub, device_id):
        """Bind a socket to its device; returns a reject reason or None."""
        if not DEVICE.fullmatch(device_id):
            return "device: id must be 16 to 64 characters from A-Z a-z 0-9 _ -"
        key = self.device_key(device_id)
        with self.lock:
            seat = self.seats.get(sub)
            if seat is None:
                self.seats[sub] = Seat(sub.role, key)
            elif seat.device is None:  # it said whether it follows first
                seat.device = key
            elif seat.device != key:
                return "device: this socket already said which device it is"
        return None

    def device(self, sub):
        """The socket's device pseudonym, or None if it has not said."""
        with self.lock:
            seat = self.seats.get(sub)
            return None if seat is None else seat.device

    def follow(self, sub, state):
        """The socket follows the presenter or browses alone, said before or after its device;
        returns a reject reason or None."""
        if state not in FOLLOW_STATES:
            return "follow: state must be following or alone"
        with self.lock:
            seat = self.seats.get(sub)
            if seat is None:
                seat = self.seats[sub] = Seat(sub.role)
            seat.follow = state
        return None

    def counts(self):
        with self.lock:
            seats = [(sub, seat) for sub, seat in self.seats.items() if not sub.dead]
        audience = [seat for _, seat in seats if seat.role == "audience"]
        presenters = len(seats) - len(audience)
        return {"connected": max(0, self.hub.count() - presenters),
                "following": sum(seat.follow == "following" for seat in audience),
                "alone": sum(seat.follow == "alone" for seat in audience),
                "tapping": self.tapping()}

    def presenters(self):
        with self.lock:
            return [sub for sub, seat in self.seats.items()
                    if seat.role == "presenter" and not sub.dead]

    def push(self):
        """Tell every presenter socket the counts when they change (and any new presenter)."""
        told = weakref.WeakSet()
        while not self.stopped.wait(PUSH_EVERY):  # blocking
            counts = self.counts()
            fresh = [sub for sub in self.presenters() if sub not in told]
            targets = self.presenters() if counts != self.last else fresh
            self.last = counts
            for sub in targets:
                self.hub.tell(sub, {"type": "room", **counts})
                told.add(sub)

    def close(self):
        self.stopped.set()
        self.thread.join(2)  # blocking
