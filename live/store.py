"""SQLite in the instance folder: the current slide, the runs and every event they broadcast.

One connection behind a lock, not one per thread: SQLite has a single writer anyway, every
write here is tiny, and per-thread connections would stay open (and warn) when the short-lived
threads that used them end. WAL with synchronous=NORMAL: every event is committed before it is
broadcast, so a crash of the app loses nothing already shown (only a power cut could).
"""
import json
import sqlite3
import threading
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    demo TEXT NOT NULL,
    panel TEXT,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    total REAL,
    ideal REAL,
    started_at REAL NOT NULL,
    ended_at REAL
);
CREATE TABLE IF NOT EXISTS events (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""
SUMMARY = "id, demo, panel, params, status, total, ideal, started_at"
LOST = "the app stopped while this run was going"


def summary(row):
    """A runs row as the API's summary dict."""
    run_id, demo, panel, params, status, total, ideal, started_at = row
    return {"id": run_id, "demo": demo, "panel": panel, "params": json.loads(params),
            "status": status, "total": total, "ideal": ideal, "started_at": started_at}


class Store:
    """The app's durable state; every method is safe to call from any thread."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self):
        with self.lock:
            self.db.close()

    def write(self, statements):
        """Run (sql, args) pairs in one transaction."""
        with self.lock:
            with self.db:  # BEGIN ... COMMIT, or ROLLBACK on error
                self.db.execute("BEGIN")
                return [self.db.execute(sql, args) for sql, args in statements]

    def read(self, sql, args=()):
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def get_state(self, key, default):
        rows = self.read("SELECT value FROM state WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    @staticmethod
    def set_state(key, value):
        return ("INSERT INTO state (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def slide(self):
        return self.get_state("slide", 0)

    def last_seq(self):
        return self.get_state("seq", 0)

    def save_slide(self, slide, seq):
        """Commit a slide change broadcast as `seq`."""
        self.write([self.set_state("slide", slide), self.set_state("seq", seq)])

    def create_run(self, demo, panel, params):
        """A new run in status running; returns its id."""
        cursor, = self.write([(
            "INSERT INTO runs (demo, panel, params, status, started_at) "
            "VALUES (?, ?, ?, 'running', ?)", (demo, panel, json.dumps(params), time.time()))])
        return cursor.lastrowid

    def save_event(self, event):
        self.save_events([event])

    def save_events(self, events):
        """Commit run events (each carries `run` and `seq`) in one transaction; a run_end also
        ends its run."""
        statements = []
        for event in events:
            statements.append(("INSERT INTO events (run_id, seq, json) VALUES (?, ?, ?)",
                               (event["run"], event["seq"], json.dumps(event))))
            if event["type"] == "run_end":
                statements.append((
                    "UPDATE runs SET status = ?, total = ?, ideal = ?, ended_at = ? WHERE id = ?",
                    (event["status"], event.get("total"), event.get("ideal"), time.time(),
                     event["run"])))
        statements.append(self.set_state("seq", max(event["seq"] for event in events)))
        self.write(statements)

    def runs(self):
        """Summaries of every run, oldest first."""
        return [summary(row) for row in self.read(f"SELECT {SUMMARY} FROM runs ORDER BY id")]

    def active(self):
        """The id of the run still going, or None."""
        rows = self.read("SELECT id FROM runs WHERE status = 'running' ORDER BY id DESC LIMIT 1")
        return rows[0][0] if rows else None

    def run(self, run_id):
        """A run's summary with its spans, errors, cpu and loop samples and last seq; None if
        there is no such run."""
        rows = self.read(f"SELECT {SUMMARY} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            return None
        events = [json.loads(text) for text, in self.read(
            "SELECT json FROM events WHERE run_id = ? ORDER BY seq", (run_id,))]
        return {**summary(rows[0]),
                "spans": [e for e in events if e["type"] == "span"],
                "errors": [e for e in events if e["type"] == "error"],
                "cpu": [e for e in events if e["type"] == "cpu"],
                "loop": [e for e in events if e["type"] == "loop"],
                "last_seq": max((e["seq"] for e in events), default=None)}

    def recover(self):
        """End every run a crash left `running`: failed, with a run-level error. Returns their ids."""
        lost = [run_id for run_id, in self.read("SELECT id FROM runs WHERE status = 'running'")]
        seq = self.last_seq()
        for run_id in lost:
            seq += 1
            self.save_event({"type": "error", "run": run_id, "i": None, "message": LOST,
                             "seq": seq, "at": time.time()})
            seq += 1
            self.save_event({"type": "run_end", "run": run_id, "total": None, "ideal": None,
                             "status": "failed", "seq": seq, "at": time.time()})
        return lost
