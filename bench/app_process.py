"""Moved to harness/app_process.py (shared by tests and benchmarks); kept so older bench scripts
still import it from here."""
from harness.app_process import AppProcess  # noqa: F401
