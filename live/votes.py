"""Predictions: the presenter opens a vote on a few options (demo ids, say), every device votes
for one and may change it until the presenter closes the vote or leaves its slide; every screen
sees the live tally. One vote per device: the device's pseudonym is the key, never shown.
"""
import re
import threading
from functools import partial

PANEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
OPTION = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_OPTIONS = 12


def check_options(options):
    """A reason if `options` is not a short list of distinct short names, else None."""
    if not 2 <= len(options) <= MAX_OPTIONS:
        return f"between 2 and {MAX_OPTIONS} options"
    if not all(isinstance(o, str) and OPTION.fullmatch(o) for o in options):
        return "each option must be a short name like asyncio_session"
    if len(set(options)) != len(options):
        return "options must differ"
    return None


class Prediction:
    def __init__(self, pid, panel, options, status="open", votes=None, slide=None):
        self.id, self.panel, self.options, self.status = pid, panel, options, status
        self.votes = dict(votes or {})  # device -> option
        self.slide = slide

    def counts(self):
        counts = {option: 0 for option in self.options}
        for option in self.votes.values():
            counts[option] += 1
        return counts

    def summary(self):
        return {"prediction": self.id, "panel": self.panel, "options": self.options,
                "status": self.status, "counts": self.counts(), "votes": len(self.votes)}


class Votes:
    def __init__(self, cstore, batcher):
        self.cstore, self.batcher = cstore, batcher
        self.lock = threading.Lock()
        self.predictions = {pid: Prediction(pid, panel, options, status, votes)
                            for pid, panel, options, status, votes in cstore.predictions()}

    def open(self, panel, options, slide):
        """A new vote on `options` for `panel` (closing any other open one); reason or None."""
        if not PANEL.fullmatch(panel):
            return "predict_open: panel must be a short name like v1"
        problem = check_options(options)
        if problem:
            return f"predict_open: {problem}"
        for other in self.open_ones():
            self.close(other.id)
        pid = self.cstore.create_prediction(panel, list(options))
        with self.lock:
            self.predictions[pid] = Prediction(pid, panel, list(options), slide=slide)
        self.mark(pid)
        return None

    def open_ones(self):
        with self.lock:
            return [p for p in self.predictions.values() if p.status == "open"]

    def close(self, pid):
        with self.lock:
            prediction = self.predictions.get(pid)
            if prediction is None or prediction.status != "open":
                return f"predict_close: prediction {pid} is not open"
            prediction.status = "closed"
        self.batcher.add(None, [self.cstore.close_prediction(pid)])
        self.mark(pid)
        return None

    def slide_changed(self, slide):
        """Leaving a vote's slide closes it: no predictions once the race is on."""
        for prediction in self.open_ones():
            if prediction.slide is not None and prediction.slide != slide:
                self.close(prediction.id)

    def vote(self, device, pid, option):
        """`device` votes `option` in prediction `pid`; returns a reject reason or None."""
        if device is None:
            return "vote: this page has not said which device it is: reload it"
        with self.lock:
            prediction = self.predictions.get(pid)
            if prediction is None:
                return f"vote: no prediction {pid}"
            if prediction.status != "open":
                return f"vote: prediction {pid} is closed"
            if option not in prediction.options:
                return f"vote: {option[:40]!r} is not an option of prediction {pid}"
            if prediction.votes.get(device) == option:
                return None
            prediction.votes[device] = option
        self.batcher.add(None, [self.cstore.vote(pid, device, option)])
        self.mark(pid)
        return None

    def mark(self, pid):
        self.batcher.mark(("prediction", pid), partial(self.message, pid))

    def message(self, pid):
        with self.lock:
            return {"type": "predict", **self.predictions[pid].summary()}, []

    def summaries(self):
        with self.lock:
            return [p.summary() for _, p in sorted(self.predictions.items())]

    def mine(self, device):
        """{prediction id: option} this device voted."""
        with self.lock:
            return {pid: p.votes[device] for pid, p in self.predictions.items()
                    if device in p.votes}
