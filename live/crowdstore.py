"""Crowd rounds, their requests, predictions and votes in the app's SQLite database: tables of
their own, written through the Store's connection (one lock, one writer).

Devices appear only as a keyed hash (HMAC with a secret kept in this database) of the random id
their browser made up: enough to say "mine" and to keep one vote per device, nothing personal.
"""
import hashlib
import hmac
import json
import secrets
import time

from live.store import Store

TABLES = [
    """CREATE TABLE IF NOT EXISTS crowd_rounds (
        id INTEGER PRIMARY KEY AUTOINCREMENT, panel TEXT, params TEXT NOT NULL,
        status TEXT NOT NULL, error TEXT, opened_at REAL NOT NULL, ended_at REAL)""",
    """CREATE TABLE IF NOT EXISTS crowd_requests (
        round_id INTEGER NOT NULL REFERENCES crowd_rounds(id), i INTEGER NOT NULL,
        device TEXT NOT NULL, t REAL, client_start REAL, client_end REAL, server_start REAL,
        server_end REAL, worker TEXT, worker_no INTEGER, error TEXT, PRIMARY KEY (round_id, i))""",
    """CREATE TABLE IF NOT EXISTS predictions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, panel TEXT, options TEXT NOT NULL,
        status TEXT NOT NULL, opened_at REAL NOT NULL, closed_at REAL)""",
    """CREATE TABLE IF NOT EXISTS votes (
        prediction_id INTEGER NOT NULL REFERENCES predictions(id), device TEXT NOT NULL,
        option TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (prediction_id, device))""",
]
SPAN = ("client_start", "client_end", "server_start", "server_end", "worker", "worker_no")
LOST = "no answer: the app stopped while this request was waiting"


class CrowdStore:
    """Reads and statements for the crowd tables; `write` commits a list of statements."""

    def __init__(self, store):
        self.store = store
        store.write([(sql, ()) for sql in TABLES])
        self.secret = store.get_state("device_secret", None)
        if self.secret is None:
            self.secret = secrets.token_hex(32)
            store.write([Store.set_state("device_secret", self.secret)])

    @classmethod
    def reading(cls, store):
        """Only its reads, on a database opened read-only (an export): nothing is written."""
        reads = cls.__new__(cls)
        reads.store, reads.secret = store, None
        return reads

    def device_key(self, device_id):
        """The pseudonym stored for a device id (never the id itself)."""
        return hmac.new(self.secret.encode(), device_id.encode(), hashlib.sha256).hexdigest()[:32]

    def write(self, statements):
        return self.store.write(statements)

    @staticmethod
    def seq(seq):
        return Store.set_state("seq", seq)

    # ---- rounds
    def create_round(self, panel, params):
        cursor, = self.write([("INSERT INTO crowd_rounds (panel, params, status, opened_at) "
                               "VALUES (?, ?, 'starting', ?)",
                               (panel, json.dumps(params), time.time()))])
        return cursor.lastrowid

    @staticmethod
    def round_status(round_id, status, error=None):
        ended = time.time() if status not in ("starting", "open", "closed") else None
        return ("UPDATE crowd_rounds SET status = ?, error = COALESCE(?, error), "
                "ended_at = COALESCE(?, ended_at) WHERE id = ?", (status, error, ended, round_id))

    @staticmethod
    def add_request(round_id, i, device, t):
        return ("INSERT INTO crowd_requests (round_id, i, device, t) VALUES (?, ?, ?, ?)",
                (round_id, i, device, t))

    @staticmethod
    def end_request(round_id, i, result):
        return ("UPDATE crowd_requests SET client_start = ?, client_end = ?, server_start = ?, "
                "server_end = ?, worker = ?, worker_no = ?, error = ? WHERE round_id = ? AND i = ?",
                (*[result.get(k) for k in SPAN], result.get("error"), round_id, i))

    def rounds(self):
        """Every round's stored row, oldest first: (id, panel, params, status, error, opened_at)."""
        return [(rid, panel, json.loads(params), status, error, opened_at) for
                rid, panel, params, status, error, opened_at in self.store.read(
                    "SELECT id, panel, params, status, error, opened_at FROM crowd_rounds "
                    "ORDER BY id")]

    def requests(self, round_id):
        """A round's requests as dicts with their device key, in order."""
        rows = self.store.read(
            "SELECT i, device, t, client_start, client_end, server_start, server_end, worker, "
            "worker_no, error FROM crowd_requests WHERE round_id = ? ORDER BY i", (round_id,))
        names = ("i", "device", "t", *SPAN, "error")
        return [dict(zip(names, row)) for row in rows]

    def recover(self):
        """Rounds a stop left going end as done; their unanswered requests get an error."""
        lost = [rid for rid, in self.store.read(
            "SELECT id FROM crowd_rounds WHERE status IN ('starting', 'open', 'closed')")]
        for rid in lost:
            self.write([("UPDATE crowd_requests SET error = ? WHERE round_id = ? AND "
                         "client_end IS NULL AND error IS NULL", (LOST, rid)),
                        self.round_status(rid, "done")])
        self.write([("UPDATE predictions SET status = 'closed', closed_at = ? "
                     "WHERE status = 'open'", (time.time(),))])
        return lost

    # ---- predictions
    def create_prediction(self, panel, options):
        cursor, = self.write([("INSERT INTO predictions (panel, options, status, opened_at) "
                               "VALUES (?, ?, 'open', ?)", (panel, json.dumps(options),
                                                            time.time()))])
        return cursor.lastrowid

    @staticmethod
    def close_prediction(prediction_id):
        return ("UPDATE predictions SET status = 'closed', closed_at = ? WHERE id = ?",
                (time.time(), prediction_id))

    @staticmethod
    def vote(prediction_id, device, option):
        return ("INSERT INTO votes (prediction_id, device, option, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(prediction_id, device) DO UPDATE SET option = excluded.option, "
                "at = excluded.at", (prediction_id, device, option, time.time()))

    def predictions(self):
        """(id, panel, options, status, {device: option}) of every prediction, oldest first."""
        votes = {}
        for pid, device, option in self.store.read(
                "SELECT prediction_id, device, option FROM votes"):
            votes.setdefault(pid, {})[device] = option
        return [(pid, panel, json.loads(options), status, votes.get(pid, {}))
                for pid, panel, options, status in self.store.read(
                    "SELECT id, panel, options, status FROM predictions ORDER BY id")]
