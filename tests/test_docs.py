"""The docs and decks name today's commands: the engine is `python -m runner`, not the old
`python -m demos.run` (issue 9)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD = ("demos.run ", "demos/run.py", "demos.run`", "-m demos.run\n")


def test_nothing_names_the_old_runner_command():
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "slides").glob("*.md"))]
    found = [(str(path.relative_to(ROOT)), old) for path in texts
             for old in OLD if old in path.read_text(encoding="utf-8")]
    assert not found, found
