"""The runner's command line: `python -m runner DEMO [--PARAM VALUE ...] [--url URL] [--json]
[--trace FILE] [--sample SECONDS] [--list] [-- SCRIPT ARGS]`, one flag per row of runner.params.
"""
import argparse
import sys

from demos.cli import http_url
from runner import tracefile
from runner.catalog import DEMOS
from runner.params import PARAMS
from runner.sampler import INTERVAL, interval_flag


def parse(argv, description):
    """(options, the script's own arguments after `--`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    rest = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m runner", description=description)
    parser.add_argument("demo", nargs="?", help="a demo id, or the path of a script")
    for param in PARAMS.values():  # validated by runner.params, the demo's defaults fill the rest
        parser.add_argument(f"--{param.name}", help=flag_help(param))
    parser.add_argument("--url", type=http_url,
                        help="client demos and scripts: use this server instead of starting one")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    parser.add_argument("--trace", type=tracefile.writable, metavar="FILE",
                        help="also write the run to FILE in Chrome's Trace Event Format "
                             "(open it in the Perfetto UI: docs/TRACING.md)")
    parser.add_argument("--sample", type=interval_flag, default=INTERVAL, metavar="SECONDS",
                        help=f"seconds between CPU and event-loop samples (default {INTERVAL:g}; "
                             "0: no samples)")
    parser.add_argument("--list", action="store_true", help="list the demos and exit")
    args = parser.parse_args(argv)
    if not args.list and not args.demo:
        parser.error("name a demo (see --list) or a script")
    return args, rest


def flag_help(param):
    """A flag's help from the table: its meaning, then its range or choices."""
    if param.choices:
        return f"{param.meaning} ({'|'.join(param.choices)})"
    return f"{param.meaning} ({param.low:g} to {param.high:g})"


def list_demos():
    for demo in DEMOS.values():
        print(f"{demo.id:<18} {demo.summary}")
