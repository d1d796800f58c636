"""The server's reading of deck markdown (pure functions): remark's lexer, notes, directives."""
import html
from pathlib import Path

import pytest

from runner.catalog import validate
from live.directives import Context, expand_deck
from live.remarkdown import lex, render, without_notes

ROOT = Path(__file__).resolve().parents[2]


def strip(source):
    return render(without_notes(lex(source)), lambda token: None)


@pytest.mark.parametrize("source, expected", [
    ("a\n???\nsecret\n---\nb", "a\n---\nb"),
    ("a\n???\nsecret\n--\nb\n???\nmore\n---\nc", "a\n--\nb\n---\nc"),
    ("a\n```\n???\nnot notes\n---\n```\nb\n???\nsecret", "a\n```\n???\nnot notes\n---\n```\nb"),
    ("a\n````md\n```\n???\n```\n````\n???\nsecret", "a\n````md\n```\n???\n```\n````\n"),
    ("a\n```\nunclosed\n???\nsecret\n---\nb", "a\n```\nunclosed\n---\nb"),
    ("a\n    ???\n    indented code\n???\nsecret", "a\n    ???\n    indented code\n"),
    ("a\n.left[\n???\n]\n???\nsecret\n---\nb", "a\n.left[\n???\n]\n---\nb"),
    ("a ??? b\n???\nsecret", "a ??? b"),
    ("a\r\n???\r\nsecret\r\n---\r\nb", "a\n---\nb"),
])
def test_notes_are_stripped_where_remark_sees_them(source, expected):
    assert strip(source) == expected


def test_lexing_loses_nothing():
    for deck in (ROOT / "slides").glob("*.md"):
        source = deck.read_text(encoding="utf-8")
        assert render(lex(source), lambda token: None) == source.replace("\r\n", "\n")


@pytest.fixture
def context():
    return Context(root=ROOT, bench_dir=ROOT / "tests" / "no-bench",
                   audience_url='http://10.0.0.7:5000/"><script>', params=validate,
                   qr=lambda url: "<svg></svg>", deck_dir=ROOT / "slides")


@pytest.mark.parametrize("content, reason", [
    (b"\x00\x01binary\x00", "is not a text file"),
    (b"caf\xe9 latin-1", "is not UTF-8 text"),
    (b"# fine\n" * 40_000, "is too big to show"),
])
def test_a_binary_or_huge_code_file_is_an_error_box(context, tmp_path, content, reason):
    (tmp_path / "demos").mkdir()
    (tmp_path / "demos" / "blob.py").write_bytes(content)
    context.root = tmp_path
    for directive in ("![:code](demos/blob.py)", "![:code main](demos/blob.py)"):
        out = expand_deck(f"# slide\n\n{directive}\n\n---\n\n# next\n", context)
        assert '<div class="directive-error">' in out and reason in out
        assert out.endswith("---\n\n# next\n")  # the rest of the deck is served


def test_code_from_a_folder_beside_the_deck(context, tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "mine.py").write_text("def mine():\n    return 1\n")
    context.deck_dir = tmp_path
    out = expand_deck("![:code](./examples/mine.py)", context)
    assert out == "```python\ndef mine():\n    return 1\n```"


@pytest.mark.parametrize("directive, shown", [
    ("![:demo n=<script>](sync)", "n must be an integer, got &#x27;&lt;script&gt;&#x27;"),
    ("![:demo](<b>x</b>)", "unknown demo &#x27;&lt;b&gt;x&lt;/b&gt;&#x27;"),
    ("![:demo n](sync)", "expected name=value"),
    ("![:code](../../etc/passwd)", "is not slide code"),
    ("![:code](live/auth.py)", "is not slide code"),
    ("![:code](.git/config)", "is not slide code"),
    ("![:code](demos/../live/auth.py)", "is not slide code"),
    ("![:code](./talk.md)", "name a file in a folder beside the deck"),
    ("![:code](./.hidden/x.py)", "name a file in a folder beside the deck"),
    ("![:code](./mine/../../etc/passwd)", "name a file in a folder beside the deck"),
    ("![:code](demos/nope.py)", "no file demos/nope.py"),
    ("![:code no_such_def](demos/slow_server.py)", "no top-level def or class no_such_def"),
    ("![:bench](../secrets)", "is not a benchmark name"),
    ("![:bench](scaling)", "no results yet"),
])
def test_bad_directives_show_an_escaped_error(context, directive, shown):
    out = expand_deck(f"# slide\n\n{directive}\n", context)
    assert '<div class="directive-error">' in out and shown in out
    assert "<script>" not in out and "<b>" not in out


def test_audience_url_is_escaped(context):
    out = expand_deck("![:audience-url]()", context)
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_code_shows_one_definition_with_its_decorators(context, tmp_path):
    (tmp_path / "demos").mkdir()
    (tmp_path / "demos" / "mod.py").write_text("import x\n\n@deco\ndef f():\n    return '```'"
                                               "\n\ndef g():\n    pass\n")
    context.root = tmp_path
    out = expand_deck("![:code f](demos/mod.py)", context)
    assert out == "````python\n@deco\ndef f():\n    return '```'\n````"


def test_demo_panels_are_numbered_in_deck_order(context):
    out = expand_deck("![:demo](sync)\n---\n![:demo nope](sync)\n---\n![:demo n=9](threads)",
                      context, notes=False)
    assert 'data-panel="p1"' in out and 'data-panel="p3"' in out and "data-panel=\"p2\"" not in out


def test_bench_table(context, tmp_path):
    (tmp_path / "scaling.json").write_text(
        '{"command": "python -m bench.scaling", "columns": ["n", "total"], '
        '"rows": [[3, "1.0 s"], {"n": 9, "total": "<3.0>"}]}')
    context.bench_dir = tmp_path
    out = expand_deck("![:bench](scaling)", context)
    assert "<th>n</th><th>total</th>" in out and "<td>9</td><td>&lt;3.0&gt;</td>" in out
    assert "<code>python -m bench.scaling</code>" in out


def test_audience_url_text_is_not_autolinked_again(context):
    """marked links any bare http:// text; the link text must not look like one."""
    out = expand_deck("![:audience-url]()", context)
    text = out.split(">", 1)[1].rsplit("</a>", 1)[0]
    assert "://" not in text and "&#58;//" in text


@pytest.mark.parametrize("args, where", [
    ("", None),
    ("n=9, delay=0.5", '{"n": 9, "delay": 0.5}'),
    ("server=asyncio", '{"server": "asyncio"}'),
])
def test_compare_keeps_runs_that_match(context, args, where):
    out = expand_deck(f"![:compare {args}]()", context)
    if where is None:
        assert '<div class="compare-panel"></div>' in out
    else:
        assert f'data-where="{html.escape(where)}"' in out


@pytest.mark.parametrize("args, reason", [
    ("colour=red", "unknown parameter"),
    ("n=zero", "n must be an integer"),
    ("delay=99", "delay must be between"),
    ("n", "expected name=value"),
])
def test_bad_compare_arguments_show_an_error_box(context, args, reason):
    out = expand_deck(f"![:compare {args}]()", context)
    assert "compare-panel" not in out and reason in html.unescape(out)
