"""The compact wire form of a run's events (docs/ARCHITECTURE.md, "Compact wire format").

Derived from runner/events.EVENTS, so a new event type travels compact with no code here: every
type but the run's lifecycle (run_start and run_end, which the app writes itself) becomes an
array record `[type, value, ...]`: `type` is the index of its type in LAYOUT and the values
follow EVENTS' field order. NUM fields are integers in the run's `unit` (microseconds per
count); INT and NUM fields are then sent as the difference from the same field of the previous
record of that type in the same frame (the first of each type is absolute), so a burst of
similar spans costs a digit or two per number. STR fields are an index into the run's table.
A string travels once, in the record that first uses it, and takes the next index of its table;
a frame that brings new strings says in `names` which index its first new one of each field
takes, so a reader that missed frames still puts every string where it belongs.
Trailing nulls are dropped. The runner's own JSON lines are not changed by any of this.
"""
from runner.events import EVENTS, NUM, STR

LIFECYCLE = ("run_start", "run_end")
#: [[type, [field, ...], [field kind, ...]], ...]: the record layout of every compact type
LAYOUT = [[kind, list(fields), [spec[0] for spec in fields.values()]]
          for kind, fields in EVENTS.items() if kind not in LIFECYCLE]
TYPE_INDEX = {kind: index for index, (kind, *_) in enumerate(LAYOUT)}
UNITS = (1, 10, 100, 1000)  # microseconds per count a run may use
STEPS = 500  # a unit cuts the run's expected length into at least this many counts


def unit_for(expected):
    """Microseconds per count for a run expected to last `expected` seconds: the coarsest unit
    that still gives STEPS counts over that time (1 ms when nobody knows)."""
    if not isinstance(expected, (int, float)) or not expected > 0:
        return UNITS[-1]
    return max([unit for unit in UNITS if unit <= expected * 1e6 / STEPS], default=UNITS[0])


def compact(kind):
    """Does an event of `kind` travel as a record?"""
    return kind in TYPE_INDEX


class Encoder:
    """One run's records: its unit and its string tables (append-only, so indices never move)."""

    def __init__(self, unit):
        self.unit = unit
        self.tables = {}  # field -> [string, ...]
        self.index = {}  # field -> {string: index}

    def record(self, event, names, last):
        """`event` as a record; a string it is first to use goes in it as it is (and `names`
        gets the index of the frame's first new string of that field). `last` holds the
        previous record's numbers per type (the frame's, updated here)."""
        kind = event["type"]
        out = [TYPE_INDEX[kind]]
        before = last.setdefault(kind, {})
        for name, (field_kind, _) in EVENTS[kind].items():
            value = event.get(name)
            if value is None:
                out.append(None)
            elif field_kind == STR:
                out.append(self.intern(name, value, names))
            else:
                count = round(value * 1e6 / self.unit) if field_kind == NUM else value
                out.append(count - before[name] if name in before else count)
                before[name] = count
        while out[-1] is None:
            out.pop()
        return out

    def intern(self, field, text, names):
        """The index of `text` in the table of `field`; the text itself the first time."""
        index = self.index.setdefault(field, {})
        if text in index:
            return index[text]
        table = self.tables.setdefault(field, [])
        index[text] = len(table)
        names.setdefault(field, len(table))
        table.append(text)
        return text

    def frame(self, run_id, events):
        """One `ev` message for stamped events of one run with consecutive seqs."""
        names, last = {}, {}
        records = [self.record(event, names, last) for event in events]
        message = {"type": "ev", "run": run_id, "seq": events[0]["seq"], "at": events[0]["at"]}
        if names:
            message["names"] = names
        message["ev"] = records
        return message



def rechain(records, chain):
    """A frame's records with their numbers made relative to `chain` (the previous numbers per
    type of a longer sequence, updated) instead of the frame's own first record: how the
    records of many frames join into one detail."""
    frame, out = {}, []
    for record in records:
        kind, fields, kinds = LAYOUT[record[0]]
        mine, theirs = frame.setdefault(kind, {}), chain.setdefault(kind, {})
        joined = list(record)
        for position, (name, field_kind) in enumerate(zip(fields, kinds), 1):
            if position >= len(record) or record[position] is None or field_kind == STR:
                continue
            count = mine[name] = record[position] + mine.get(name, 0)
            joined[position] = count - theirs[name] if name in theirs else count
            theirs[name] = count
        out.append(joined)
    return out


def detail(summary, events, last_seq):
    """A run's summary with its events in compact form (GET /api/runs/<id>?format=compact)."""
    encoder = Encoder(summary.get("unit") or UNITS[-1])
    names, last = {}, {}
    records = [encoder.record(event, names, last) for event in events if compact(event["type"])]
    return {**summary, "last_seq": last_seq, "layout": LAYOUT, "names": names, "ev": records}


class Decoder:
    """The reader's side: records back into readable events (tests, benches; store.js does the
    same in the browser)."""

    def __init__(self, layout=None):
        self.layout = layout or LAYOUT
        self.runs = {}  # run id -> {"unit": us, "tables": {field: [..]}}

    def run(self, run_id, unit=None):
        state = self.runs.setdefault(run_id, {"unit": UNITS[-1], "tables": {}})
        if unit:
            state["unit"] = unit
        return state

    def record(self, run_id, record, fresh, last):
        """One record as a readable event; `fresh` is the frame's `names` and `last` its
        previous numbers per type (both updated)."""
        state = self.run(run_id)
        kind, fields, kinds = self.layout[record[0]]
        event = {"type": kind, "run": run_id}
        before = last.setdefault(kind, {})
        for position, (name, field_kind) in enumerate(zip(fields, kinds), 1):
            value = record[position] if position < len(record) else None
            if value is not None and field_kind != STR:
                value = before[name] = value + before.get(name, 0)
                if field_kind == NUM:
                    value = value * state["unit"] / 1e6
            elif isinstance(value, str):
                table = state["tables"].setdefault(name, [])
                at = fresh.get(name, len(table))
                table.extend([None] * (at + 1 - len(table)))
                table[at] = value
                fresh[name] = at + 1
            elif value is not None and field_kind == STR:
                table = state["tables"].get(name, [])
                value = table[value] if value < len(table) else None
            event[name] = value
        return event

    def expand(self, message):
        """The readable messages one frame stands for (an `ev` frame is several)."""
        kind = message.get("type")
        if kind == "hello":
            self.layout = message.get("layout") or self.layout
            for summary in message.get("runs", []):
                self.run(summary["id"], summary.get("unit"))
            for found in message.get("details", []):
                self.expand_detail(found)
            return [message]
        if kind == "run_start":
            self.run(message["run"], message.get("unit"))
        if kind != "ev":
            return [message]
        fresh, last = dict(message.get("names") or {}), {}
        return [{**self.record(message["run"], record, fresh, last), "seq": message["seq"] + k,
                 "at": message["at"]} for k, record in enumerate(message["ev"])]

    def expand_detail(self, found):
        """A compact detail as the readable one (spans, errors, ...)."""
        self.layout = found.get("layout") or self.layout
        self.run(found["id"], found.get("unit"))
        fresh, last = dict(found.get("names") or {}), {}
        events = [self.record(found["id"], record, fresh, last) for record in found["ev"]]
        readable = {k: v for k, v in found.items() if k not in ("layout", "names", "ev")}
        for kind, *_ in self.layout:
            readable[plural(kind)] = [e for e in events if e["type"] == kind]
        return readable


LISTS = {"span": "spans", "error": "errors"}  # samples (cpu, loop) keep their type's name


def plural(kind):
    """The key of a detail's list of events of `kind`: spans, errors, cpu, loop."""
    return LISTS.get(kind, kind)
