"""Our deck directives, expanded on the server (remark macro syntax, one line each):

    ![:code](demos/client_threads.py)        the file's source as a fenced python block
    ![:code fetch_all](demos/client_threads.py)   only that top-level def or class
    ![:code](./examples/mine.py)             a file in a folder beside the deck (its own code)
    ![:demo n=9, concurrency=3](asyncio_semaphore)   a demo panel (p<ordinal> among demos)
    ![:compare]()  ![:audience-url]()  ![:audience-qr]()  ![:bench](scaling)
    ![:crowd workers=3, delay=2](gunicorn)   a crowd round panel (c<ordinal> among crowds)
    ![:predict](sync, threads, processes)    a vote on those options (v<ordinal> among predicts)

A directive that cannot be expanded becomes a visible error box, never a silent blank.
Everything that comes from outside is HTML-escaped.
"""
import ast
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from runner.params import ParamError, UnknownDemo, clean

from live.crowd import crowd_params
from live.remarkdown import lex, render, without_notes
from live.votes import check_options

BENCH_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
CODE_FOLDER = "demos"  # what `![:code]` may show of the project: the slide code, nothing else
MAX_CODE_BYTES = 256 * 1024


class DirectiveError(Exception):
    """A directive that cannot be expanded; the message is shown on the slide."""


@dataclass
class Context:
    """What expanding a deck needs to know about the app and the request."""
    root: Path  # code includes must stay inside it
    bench_dir: Path
    audience_url: str
    params: Callable  # (demo_id, raw) -> clean params, raising ParamError / UnknownDemo
    qr: Callable  # url -> inline SVG
    deck_dir: Path = None  # the deck's own folder: `./folder/file` names a file in it
    reads: list = field(default_factory=list)  # every file expanding looked at (a cache's key)


def expand_deck(source, context, notes=True):
    """The deck's markdown with our directives expanded, and its notes dropped unless `notes`."""
    tokens = lex(source)
    counter = {"demo": 0, "crowd": 0, "predict": 0}

    def expand(token):
        if token.name in counter:  # numbered before notes are dropped, so both views agree
            counter[token.name] += 1
        handler = HANDLERS.get(token.name)
        if handler is None:
            return None  # remark's own macros and the front end's stay as they are
        try:
            return handler(token, context, counter.get(token.name, counter["demo"]))
        except DirectiveError as exc:
            return error_box(f"{token.name}: {exc}")

    rendered = render(tokens, expand)  # expands every directive, notes included
    return rendered if notes else render(without_notes(lex(rendered)), lambda t: None)


def escape(text):
    """HTML-escaped, and with nothing left that remark would lex (`.class[`, macros, code)."""
    return html.escape(text).translate({ord("["): "&#91;", ord("]"): "&#93;", ord("`"): "&#96;"})


def error_box(message):
    return f'<div class="directive-error">{escape(message)}</div>'


def inside(root, value):
    """The file `value` names, which must be inside the folder `root`."""
    path = (root / value).resolve()
    if not value or not path.is_relative_to(root.resolve()):
        raise DirectiveError(f"{value!r} is not a file of this project")
    if not path.is_file():
        raise DirectiveError(f"no file {value}")
    return path


def code_file(context, value):
    """The file a `![:code]` may show: under the project's demos/, or `./<folder>/...` beside
    the deck (in a folder, never the deck's own folder: other decks and their notes live
    there; nothing hidden)."""
    if value.startswith("./") and context.deck_dir is not None:
        parts = Path(value).parts
        if len(parts) < 2 or any(part.startswith(".") for part in parts):
            raise DirectiveError(f"{value!r}: name a file in a folder beside the deck, "
                                 "like ./examples/mine.py")
        return inside(context.deck_dir, value)
    path = (context.root / value).resolve()
    if not value or not path.is_relative_to((context.root / CODE_FOLDER).resolve()):
        raise DirectiveError(f"{value!r} is not slide code: only files under {CODE_FOLDER}/ "
                             "(or ./<folder>/ beside the deck) are shown")
    return inside(context.root, value)


def read_text_file(path, label):
    """The file's text, or a DirectiveError for a binary or huge one (never a 500)."""
    data = path.read_bytes()
    if len(data) > MAX_CODE_BYTES:
        raise DirectiveError(f"{label} is too big to show ({len(data)} bytes)")
    if b"\0" in data:
        raise DirectiveError(f"{label} is not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DirectiveError(f"{label} is not UTF-8 text") from None


def definition(source, name, label):
    """The source of the top-level def or class `name`, decorators included."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return "\n".join(source.splitlines()[first - 1:node.end_lineno])
    raise DirectiveError(f"no top-level def or class {name} in {label}")


def fenced(code, language="python"):
    """A fence longer than any backtick run in `code`, so the code cannot close it."""
    runs = [len(run) for run in re.findall(r"`+", code)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"


def expand_code(token, context, _ordinal):
    label = token.value.strip()
    path = code_file(context, label)
    context.reads.append(path)
    source = read_text_file(path, label)
    name = token.args[0] if token.args and token.args[0] else None
    if name is None:
        return fenced(source)
    try:
        return fenced(definition(source, name, token.value.strip()))
    except SyntaxError as exc:
        raise DirectiveError(f"{token.value.strip()} does not parse: {exc.msg}") from None


def demo_args(args):
    """`n=9, concurrency=3` as a dict of strings."""
    raw = {}
    for arg in filter(None, args):
        key, sep, value = arg.partition("=")
        if not sep or not key.strip():
            raise DirectiveError(f"expected name=value, got {arg!r}")
        raw[key.strip()] = value.strip()
    return raw


def expand_demo(token, context, ordinal):
    demo_id = token.value.strip()
    raw = demo_args(token.args)
    try:
        params = context.params(demo_id, raw)
    except (ParamError, UnknownDemo) as exc:
        raise DirectiveError(f"{demo_id}: {exc}") from None
    # data-set: what the slide sets, so the panel shows it even where the demo does not read it
    return (f'<div class="demo-panel" data-demo="{escape(demo_id)}" '
            f'data-panel="p{ordinal}" data-params="{html.escape(json.dumps(params))}" '
            f'data-set="{escape(" ".join(sorted(raw)))}"></div>')


def expand_compare(token, _context, _ordinal):
    """Totals side by side; `n=9, delay=0.5` keeps the latest run of each demo with those
    parameters (a race on one workload), no arguments keeps every run so far."""
    where = {}
    for name, value in demo_args(token.args).items():
        try:
            where[name] = clean(name, value)
        except ParamError as exc:
            raise DirectiveError(f"compare: {exc}") from None
    if not where:
        return '<div class="compare-panel"></div>'
    return f'<div class="compare-panel" data-where="{html.escape(json.dumps(where))}"></div>'


def expand_audience_url(_token, context, _ordinal):
    url = escape(context.audience_url)
    # remark's markdown (marked 0.3) turns any bare "http://..." in text into a second link,
    # leaving ours empty: an entity for the colon shows the same text and is not matched.
    text = url.replace(":", "&#58;")
    return f'<a class="audience-url" href="{url}">{text}</a>'


def expand_audience_qr(_token, context, _ordinal):
    return f'<div class="audience-qr">{context.qr(context.audience_url)}</div>'


def expand_bench(token, context, _ordinal):
    name = token.value.strip()
    if not BENCH_NAME.fullmatch(name):
        raise DirectiveError(f"{name!r} is not a benchmark name")
    path = context.bench_dir / f"{name}.json"
    context.reads.append(path)  # also when it is not there yet: it may come
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DirectiveError(f"no results yet: run the benchmark that writes {name}.json") \
            from None
    except ValueError as exc:
        raise DirectiveError(f"{name}.json is not JSON: {exc}") from None
    return bench_table(data, name)


def bench_table(data, name):
    """{"command", "columns", "rows"} (rows as lists or as dicts) as an HTML table."""
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise DirectiveError(f"{name}.json has no rows")
    rows = data["rows"]
    columns = data.get("columns") or (list(rows[0]) if rows and isinstance(rows[0], dict) else [])
    cells = [[row.get(c) for c in columns] if isinstance(row, dict) else list(row) for row in rows]
    esc = lambda value: escape("" if value is None else str(value))  # noqa: E731
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in cells)
    command = f'<p class="bench-command"><code>{esc(data.get("command", ""))}</code></p>'
    return (f'<table class="bench" data-bench="{esc(name)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>{command}")


def expand_crowd(token, _context, ordinal):
    """A crowd round: the value names the server (gunicorn or asyncio), the arguments set
    workers and delay; all checked against the one parameter table."""
    raw = {**demo_args(token.args), "server": token.value.strip() or "gunicorn"}
    try:
        params = crowd_params(raw)
    except ParamError as exc:
        raise DirectiveError(str(exc)) from None
    return (f'<div class="crowd-panel" data-panel="c{ordinal}" '
            f'data-params="{html.escape(json.dumps(params))}"></div>')


def expand_predict(token, _context, ordinal):
    """A vote on the options named in the value, e.g. demo ids: (sync, threads, processes)."""
    options = [option.strip() for option in token.value.split(",") if option.strip()]
    problem = check_options(options)
    if problem:
        raise DirectiveError(problem)
    return (f'<div class="predict-panel" data-panel="v{ordinal}" '
            f'data-options="{html.escape(json.dumps(options))}"></div>')


HANDLERS = {"code": expand_code, "demo": expand_demo, "compare": expand_compare,
            "audience-url": expand_audience_url, "audience-qr": expand_audience_qr,
            "bench": expand_bench, "crowd": expand_crowd, "predict": expand_predict}
