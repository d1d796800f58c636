"""What the handout tests share besides fixtures: the deck, how to export it, what it embeds."""
import json
import re
import subprocess
import sys
from pathlib import Path


HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DECK = HERE / "decks" / "handout.md"
PRESSED = 3  # the fourth panel stays unrun: the handout must say so
EMBEDDED = re.compile(r'<script type="application/json" id="cl-offline">(.*?)</script>', re.S)


def export(deck, instance, out, *flags):
    done = subprocess.run([sys.executable, "app.py", "export", "--deck", str(deck),
                           "--instance", str(instance), "--out", str(out), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return out


def embedded(folder):
    """The data the handout carries."""
    text = (Path(folder) / "index.html").read_text(encoding="utf-8")
    return json.loads(EMBEDDED.search(text).group(1))
