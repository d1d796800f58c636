"""The parameter table of docs/ARCHITECTURE.md, written from PARAMS (never by hand):

    python -m runner.paramdoc          rewrite it between its two marker lines
    python -m runner.paramdoc --check  exit 1 if it is out of date (a test does the same)
"""
import sys
from pathlib import Path

from runner.params import CHOICE, PARAMS

DOC = Path(__file__).resolve().parent.parent / "docs" / "ARCHITECTURE.md"
BEGIN = "<!-- params table: written by `python -m runner.paramdoc` from runner/params.py -->"
END = "<!-- end of params table -->"


def span(param):
    if param.kind == CHOICE:
        return ", ".join(f"`{choice}`" for choice in param.choices)
    return f"{param.low:g}–{param.high:g}"


def table():
    """The markdown table: one row per parameter, in PARAMS order."""
    rows = ["| name | type | range | default | meaning |", "| --- | --- | --- | --- | --- |"]
    rows += [f"| `{p.name}` | {p.kind} | {span(p)} | `{p.default}` | {p.meaning} |"
             for p in PARAMS.values()]
    return "\n".join(rows)


def written(text):
    """`text` with the table between the markers replaced by the current one."""
    head, found, rest = text.partition(BEGIN)
    _old, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"{DOC.name} has no {BEGIN!r} ... {END!r} block")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = DOC.read_text(encoding="utf-8")
    fresh = written(text)
    if "--check" in argv:
        if fresh != text:
            print(f"{DOC}: the parameter table is out of date: run python -m runner.paramdoc",
                  file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
