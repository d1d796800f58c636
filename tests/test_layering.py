"""Imports run one way: app.py -> live -> runner -> demos (read from the source with ast, so a
lazy import inside a function counts too). bench/ and tests/ use them and harness/; no test
imports bench/, bench/ imports no test, and harness/ imports none of them."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = {"app", "live", "runner", "demos", "bench", "tests", "harness"}
MAY_IMPORT = {
    "app": {"live", "runner", "demos"},
    "live": {"runner", "demos"},
    "runner": {"demos"},
    "demos": set(),
    "harness": set(),  # it starts the app as a process; it never imports it
    "bench": {"app", "live", "runner", "demos", "harness"},
    "tests": {"app", "live", "runner", "demos", "harness"},
}


def part_of(path):
    relative = path.relative_to(ROOT)
    return "app" if relative == Path("app.py") else relative.parts[0]


def sources():
    files = [ROOT / "app.py"]
    for folder in ("live", "runner", "demos", "bench", "tests", "harness"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def imported(path):
    """The top-level names of our own packages that `path` imports (anywhere in the file)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & TOP


def test_imports_run_one_way():
    wrong = {}
    for path in sources():
        part = part_of(path)
        if found := imported(path) - MAY_IMPORT[part] - {part}:
            wrong[str(path.relative_to(ROOT))] = sorted(found)
    assert not wrong, f"imports against the layering: {wrong}"


def test_the_check_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from live import auth\n    import bench.audience\n")
    assert imported(bad) == {"live", "bench"}
