"""SQLite in the instance folder: the current slide, the runs and every event they broadcast.

One writer connection behind a lock (SQLite has a single writer anyway, and every write here is
tiny); readers take a connection of their own from a small pool, so in WAL mode they never wait
on the writer nor on each other's big reads. What every hello and GET /api/state needs (slide,
seq, the active run, the run summaries, the database's epoch) is kept in memory, updated when
it is committed and before it is broadcast, so a greeting never touches the disk.
WAL with synchronous=NORMAL: every event is committed before it is broadcast, so a crash of the
app loses nothing already shown (only a power cut could).
"""
import json
import queue
import secrets
import sqlite3
import threading
import time

from live.wire import LAYOUT, plural

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
SUMMARY = "id, demo, panel, params, status, total, ideal, started_at, unit"
LOST = "the app stopped while this run was going"
DATABASE_NAME = "concurrency-live.sqlite3"  # in the instance folder (live.configure)
READERS = 4  # pooled read connections: enough for a burst, few enough to stay cheap
MAX_ID = 2 ** 63 - 1  # SQLite's largest integer: a bigger id is no run of ours
FINAL = ("done", "failed", "timeout", "cancelled")


def summary(row):
    """A runs row as the API's summary dict."""
    run_id, demo, panel, params, status, total, ideal, started_at, unit = row
    return {"id": run_id, "demo": demo, "panel": panel, "params": json.loads(params),
            "status": status, "total": total, "ideal": ideal, "started_at": started_at,
            "unit": unit}


def connect(path):
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA busy_timeout=5000")
    return db


class Store:
    """The app's durable state; every method is safe to call from any thread."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()  # the writer connection
        self.memory = threading.Lock()  # the in-memory copies below (never held on disk)
        self.pool = threading.Lock()  # opening read connections
        self.db = connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.migrate()
        self.readers = queue.LifoQueue()
        self.opened = []
        self.created = self.get_state("epoch", None) is None
        if self.created:
            self.write([self.set_state("epoch", secrets.token_hex(8))])
        self.epoch = self.get_state("epoch", None)
        self.slide_now = self.get_state("slide", 0)
        self.seq_now = self.get_state("seq", 0)
        self.summaries = {row[0]: summary(row) for row in self.read(
            f"SELECT {SUMMARY} FROM runs ORDER BY id")}

    def migrate(self):
        """Add what older databases lack (the `unit` of each run's compact records)."""
        columns = [row[1] for row in self.db.execute("PRAGMA table_info(runs)")]
        if "unit" not in columns:
            self.db.execute("ALTER TABLE runs ADD COLUMN unit INTEGER")

    def close(self):
        with self.lock, self.pool:
            self.db.close()
            for db in self.opened:
                db.close()
            self.opened = []

    def write(self, statements):
        """Run (sql, args) pairs in one transaction."""
        with self.lock:
            with self.db:  # BEGIN ... COMMIT, or ROLLBACK on error
                self.db.execute("BEGIN")
                return [self.db.execute(sql, args) for sql, args in statements]

    def reader(self):
        """A read connection of the pool (opened when none is free, up to READERS)."""
        try:
            return self.readers.get_nowait()
        except queue.Empty:
            pass
        with self.pool:
            if len(self.opened) < READERS:
                db = self.connect_reader()
                self.opened.append(db)
                return db
        return self.readers.get()  # blocking (every reader busy: wait for one)

    def connect_reader(self):
        return connect(self.path)

    def read(self, sql, args=()):
        """Rows of one query on a read connection: WAL readers never wait on the writer."""
        db = self.reader()
        try:
            return db.execute(sql, args).fetchall()
        finally:
            self.readers.put(db)

    def get_state(self, key, default):
        rows = self.read("SELECT value FROM state WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    @staticmethod
    def set_state(key, value):
        return ("INSERT INTO state (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def slide(self):
        return self.slide_now

    def last_seq(self):
        return self.seq_now

    def save_slide(self, slide, seq):
        """Commit a slide change broadcast as `seq`."""
        self.write([self.set_state("slide", slide), self.set_state("seq", seq)])
        with self.memory:
            self.slide_now, self.seq_now = slide, seq

    def create_run(self, demo, panel, params, unit=None):
        """A new run in status running; returns its id."""
        started = time.time()
        cursor, = self.write([(
            "INSERT INTO runs (demo, panel, params, status, started_at, unit) "
            "VALUES (?, ?, ?, 'running', ?, ?)", (demo, panel, json.dumps(params), started, unit))])
        with self.memory:
            self.summaries[cursor.lastrowid] = {
                "id": cursor.lastrowid, "demo": demo, "panel": panel,
                "params": json.loads(json.dumps(params)), "status": "running", "total": None,
                "ideal": None, "started_at": started, "unit": unit}
        return cursor.lastrowid

    def save_event(self, event):
        self.save_events([event])

    def save_events(self, events):
        """Commit run events (each carries `run` and `seq`) in one transaction; a run_end also
        ends its run."""
        statements, ends = [], []
        for event in events:
            statements.append(("INSERT INTO events (run_id, seq, json) VALUES (?, ?, ?)",
                               (event["run"], event["seq"], json.dumps(event))))
            if event["type"] == "run_end":
                ends.append(event)
                statements.append((
                    "UPDATE runs SET status = ?, total = ?, ideal = ?, ended_at = ? WHERE id = ?",
                    (event["status"], event.get("total"), event.get("ideal"), time.time(),
                     event["run"])))
        seq = max(event["seq"] for event in events)
        statements.append(self.set_state("seq", seq))
        self.write(statements)
        with self.memory:
            self.seq_now = max(self.seq_now, seq)
            for event in ends:
                found = self.summaries.get(event["run"])
                if found is not None:
                    self.summaries[event["run"]] = {
                        **found, "status": event["status"], "total": event.get("total"),
                        "ideal": event.get("ideal")}

    def runs(self):
        """Summaries of every run, oldest first (from memory)."""
        with self.memory:
            return [dict(found) for _, found in sorted(self.summaries.items())]

    def summary(self, run_id):
        """One run's summary from memory, or None."""
        with self.memory:
            found = self.summaries.get(run_id)
        return None if found is None else dict(found)

    def active(self):
        """The id of the run still going, or None (from memory)."""
        with self.memory:
            going = [run_id for run_id, found in self.summaries.items()
                     if found["status"] == "running"]
        return max(going, default=None)

    def events(self, run_id):
        """Every stored event of a run, in seq order (a read connection, never the writer)."""
        return [json.loads(text) for text, in self.read(
            "SELECT json FROM events WHERE run_id = ? ORDER BY seq", (run_id,))]

    def run(self, run_id):
        """A run's summary with its spans, errors (one list per event type) and last seq; None
        if there is no such run."""
        found = self.summary(run_id) if 0 <= run_id <= MAX_ID else None
        if found is None:
            return None
        events = self.events(run_id)
        lists = {plural(kind): [e for e in events if e["type"] == kind] for kind, *_ in LAYOUT}
        return {**found, **lists, "last_seq": max((e["seq"] for e in events), default=None)}

    def recover(self):
        """End every run a crash left `running`: failed, with a run-level error. Returns their ids."""
        lost = [run_id for run_id, found in self.summaries.items() if found["status"] == "running"]
        seq = self.last_seq()
        for run_id in lost:
            seq += 1
            self.save_event({"type": "error", "run": run_id, "i": None, "message": LOST,
                             "seq": seq, "at": time.time()})
            seq += 1
            self.save_event({"type": "run_end", "run": run_id, "total": None, "ideal": None,
                             "status": "failed", "seq": seq, "at": time.time()})
        return lost
