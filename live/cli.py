"""app.py's command line: its flags, their checks and the `export` subcommand.

parse_args(argv) -> the flags as an argparse Namespace, plus `free_threaded` (path, version).
The flags are added in the order --help lists them; a bad one exits 2 with argparse's line.
"""
import argparse
from pathlib import Path

from runner import pythons
from runner.params import PARAMS

from live import auth, export


def bounded_int(low, high):
    """An argparse type: an integer from low to high, both included."""
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    return convert


def existing_file(kind):
    """An argparse type: the path of a file that exists, made absolute."""
    def convert(text):
        path = Path(text)
        if not path.is_file():
            raise argparse.ArgumentTypeError(f"no {kind} file {text}")
        return path.resolve()
    return convert


deck_file, database_file = existing_file("deck"), existing_file("database")


def token(text):
    if not auth.TOKEN_SHAPE.fullmatch(text):
        raise argparse.ArgumentTypeError("8 to 128 characters from A-Z a-z 0-9 _ -")
    return text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Serve the live concurrency deck.")
    commands = parser.add_subparsers(dest="command", metavar="{export}")
    export.add_arguments(commands.add_parser(
        "export", help="write the handout: index.html, a PDF and trace files"), deck_file)
    for add in (add_serving, add_runs, add_limits, add_outside):
        add(parser)
    args = parser.parse_args(argv)
    args.free_threaded = free_threaded(parser, args.free_threaded_python)
    return args


def add_serving(parser):
    """Where and what the app serves, and who presents."""
    parser.add_argument("--host", default="0.0.0.0", help="address to bind (default: all)")
    parser.add_argument("--port", type=bounded_int(0, 65535), default=5000,
                        help="port to bind; 0 picks a free one")
    parser.add_argument("--deck", type=deck_file, help="the deck to present (any .md file)")
    workers = PARAMS["workers"]
    parser.add_argument("--workers", type=bounded_int(int(workers.low), int(workers.high)),
                        default=workers.default,
                        help="gunicorn sync workers of the embedded slow server")
    parser.add_argument("--presenter-token", type=token,
                        help="the presenter's secret (default: a new random one)")
    parser.add_argument("--show-token", action="store_true",
                        help="also print the presenter URL with its token (not for a terminal "
                             "on the projector)")
    parser.add_argument("--instance", help="folder for the database (default: instance/)")


def add_runs(parser):
    """What each viewer may queue and how long a run may take."""
    parser.add_argument("--queue-size", type=bounded_int(1, 100_000), default=1024,
                        help="batches of frames queued per viewer before a slow one is dropped")
    timeout = PARAMS["timeout"]
    parser.add_argument("--run-timeout", type=bounded_int(int(timeout.low), int(timeout.high)),
                        default=int(timeout.high),
                        help="ceiling in seconds on any run's own timeout")


def add_limits(parser):
    """Caps per client and deadlines: what keeps one client from taking the app."""
    parser.add_argument("--max-conns-per-client", type=bounded_int(0, 100_000), default=64,
                        help="open HTTP connections per client address (0: no cap; a room "
                             "behind one NAT is one address: raise it)")
    parser.add_argument("--max-ws-per-client", type=bounded_int(0, 100_000), default=16,
                        help="open WebSockets per client address (0: no cap; behind one NAT "
                             "give at least the number of phones)")
    parser.add_argument("--flood-bench", type=bounded_int(0, 3600), default=10,
                        help="seconds an address whose WebSocket was closed for flooding is "
                             "refused new connections (0: never; presenters never)")
    parser.add_argument("--header-timeout", type=bounded_int(1, 300), default=10,
                        help="seconds a client has to send a request's head")
    parser.add_argument("--ws-ping-interval", type=bounded_int(1, 600), default=25,
                        help="seconds between pings on each WebSocket")
    parser.add_argument("--worker-timeout", type=bounded_int(2, 3600), default=60,
                        help="seconds without a heartbeat before gunicorn replaces the app's "
                             "worker (a pause of the whole app, Ctrl-Z or SIGSTOP, is excused)")
    parser.add_argument("--crowd-cap", type=bounded_int(1, 100_000), default=1000,
                        help="requests waiting at once in a crowd round before taps are refused")


def add_outside(parser):
    """What the app takes from outside: a rehearsal's runs, a free-threaded Python."""
    parser.add_argument("--replay-from", type=database_file, metavar="FILE",
                        help="a rehearsal's database: recorded runs the presenter may replay")
    parser.add_argument("--free-threaded-python", metavar="PATH",
                        help="a free-threaded Python for cpu_threads_ft (default: python3.14t, "
                             "python3.13t or python3.13-nogil on PATH, if one works)")


def free_threaded(parser, path):
    """(path, version) of the free-threaded Python to use, or (None, None); a bad PATH is a
    usage error with its reason."""
    if path is None:
        return pythons.find_free_threaded()
    version, reason = pythons.probe(path)
    if reason:
        parser.error(f"--free-threaded-python: {reason}")
    return path, version
