"""The audience's part of the app, as one service: crowd rounds, predictions, the room, and the
WebSocket messages that drive them (their fields, limits and actions, merged into live/ws.py's
tables).

A socket first says which device it is (`device`), and gets `crowd_hello`: every round and
prediction so far, and which requests and votes are its own. A tap or a vote needs the device;
`follow` is the socket's own state and is taken before it too (live/room.py).
"""
from live.crowd import Crowd
from live.crowdbatch import Batcher
from live.crowdsend import Sender
from live.crowdstore import CrowdStore
from live.room import Room
from live.votes import Votes

#: type -> {field: (python types, required)}, as live/ws.py's SCHEMA
SCHEMA = {
    "device": {"id": (str, True)},
    "follow": {"state": (str, True)},
    "crowd_open": {"panel": (str, True), "params": (dict, False), "slide": (int, False)},
    "crowd_close": {},
    "crowd_tap": {},
    "predict_open": {"panel": (str, True), "options": (list, True), "slide": (int, False)},
    "predict_close": {"prediction": (int, True)},
    "vote": {"prediction": (int, True), "option": (str, True)},
}
BATCH_GAP = 0.03  # seconds a batch of crowd events may wait for more
PRESENTER_ONLY = {"crowd_open", "crowd_close", "predict_open", "predict_close"}
#: type -> (rate per second, burst) for each socket, as live/ratelimit.py's DEFAULT_LIMITS
LIMITS = {
    "device": (1.0, 10),
    "follow": (2.0, 20),
    "crowd_open": (1.0, 5),
    "crowd_close": (1.0, 5),
    "crowd_tap": (2.0, 4),
    "predict_open": (1.0, 5),
    "predict_close": (1.0, 5),
    "vote": (2.0, 10),
}


class CrowdLive:
    def __init__(self, store, hub, config):
        self.hub = hub
        self.cstore = CrowdStore(store)
        self.cstore.recover()
        self.batcher = Batcher(hub, self.cstore.write, CrowdStore.seq,
                               gap=config.get("CROWD_BATCH", BATCH_GAP))
        self.sender = Sender(timeout=config.get("CROWD_TIMEOUT", 600.0))
        self.crowd = Crowd(self.cstore, self.batcher, self.sender,
                           cap=config.get("CROWD_CAP", 1000))
        self.votes = Votes(self.cstore, self.batcher)
        self.room = Room(hub, self.cstore.device_key, self.crowd.tapping)

    def hello(self, device):
        def greeting(seq):
            return {"type": "crowd_hello", "at_seq": seq, "rounds": self.crowd.summaries(),
                    "predictions": self.votes.summaries(), "mine": self.crowd.mine(device),
                    "votes": self.votes.mine(device)}
        return greeting

    def slide_changed(self, slide):
        self.crowd.slide_changed(slide)
        self.votes.slide_changed(slide)

    def close(self):
        self.room.close()
        self.crowd.shutdown()
        self.sender.close()
        self.batcher.close()


def do_device(live, sub, fields):
    reason = live.crowd.room.seat(sub, fields["id"])
    if reason:
        return reason
    live.hub.resync(sub, live.crowd.hello(live.crowd.room.device(sub)))
    return None


def do_follow(live, sub, fields):
    return live.crowd.room.follow(sub, fields["state"])


def do_crowd_open(live, _sub, fields):
    return live.crowd.crowd.open(fields["panel"], fields.get("params"), fields.get("slide"))


def do_crowd_close(live, _sub, _fields):
    return live.crowd.crowd.close()


def do_crowd_tap(live, sub, _fields):
    reason, mine = live.crowd.crowd.tap(live.crowd.room.device(sub))
    if reason:
        return reason
    # the row itself comes along: the tapping device draws it at once, before the broadcast
    live.hub.tell(sub, {"type": "crowd_mine", "round": mine[0], "i": mine[1], "t": mine[2]})
    return None


def do_predict_open(live, _sub, fields):
    return live.crowd.votes.open(fields["panel"], fields["options"], fields.get("slide"))


def do_predict_close(live, _sub, fields):
    return live.crowd.votes.close(fields["prediction"])


def do_vote(live, sub, fields):
    return live.crowd.votes.vote(live.crowd.room.device(sub), fields["prediction"],
                                 fields["option"])


ACTIONS = {"device": do_device, "follow": do_follow, "crowd_open": do_crowd_open,
           "crowd_close": do_crowd_close, "crowd_tap": do_crowd_tap,
           "predict_open": do_predict_open, "predict_close": do_predict_close,
           "vote": do_vote}
