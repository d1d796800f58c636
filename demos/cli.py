"""The `main` every client shares: parse the command line, build the URLs,
time fetch_all, print each response and the total (like the seeds' `time`).

    python -m demos.client_threads --n 3 --url http://127.0.0.1:8000/
"""
import argparse
import time
from urllib.parse import urlencode, urlsplit


def bounded(kind, low, high):
    """An argparse type: a `kind` number in [low, high], or a one-line
    reason."""
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            reason = f"expected a number, got {text!r}"
            raise argparse.ArgumentTypeError(reason) from None
        if not low <= value <= high:  # NaN too
            reason = f"must be between {low:g} and {high:g}, got {text!r}"
            raise argparse.ArgumentTypeError(reason)
        return value
    return convert


def http_url(text):
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        reason = f"expected an http:// URL, got {text!r}"
        raise argparse.ArgumentTypeError(reason)
    return text


# The ranges of runner/params.py PARAMS (a learner's client never imports the engine; a test
# checks that the two agree).
N, DELAY, CONCURRENCY, FAIL = (1, 10_000), (0, 30), (1, 1000), (0, 10_000)


def parse(argv=None):
    """The client's options; a bad value exits 2 with a one-line reason."""
    parser = argparse.ArgumentParser(description="n timed requests.")
    parser.add_argument("--n", type=bounded(int, *N), default=3,
                        help="requests to send")
    parser.add_argument("--url", type=http_url,
                        default="http://127.0.0.1:8000/")
    parser.add_argument("--delay", type=bounded(float, *DELAY),
                        help="seconds the server sleeps (default: its own)")
    parser.add_argument("--concurrency", type=bounded(int, *CONCURRENCY),
                        default=3, help="client bound k")
    parser.add_argument("--fail", type=bounded(int, *FAIL), default=0,
                        help="how many URLs answer 500")
    parser.add_argument("--client-timeout", type=bounded(float, 0.1, 60),
                        default=2.0, help="the client's own limit (seconds)")
    parser.add_argument("--rate", type=bounded(float, 0, 1000), default=0,
                        help="requests per second to send (0: no pace)")
    args = parser.parse_args(argv)
    if args.fail > args.n:
        parser.error(f"--fail must be between 0 and --n ({args.n})")
    return args


def build_urls(url, n, delay=None, fail=0):
    """n URLs for the slow server; the last `fail` of them ask for a 500,
    at once (a failure that comes early shows what happens to the others)."""
    def one(i):
        query = {} if delay is None else {"delay": f"{delay:g}"}
        if i >= n - fail:
            query.update(delay=0, status=500)
        sep = "&" if urlsplit(url).query else "?"
        return url + sep + urlencode(query) if query else url
    return [one(i) for i in range(n)]


def call(fetch_all, urls, limit, timeout=2.0, rate=0):
    """fetch_all(urls), plus the `limit`, `timeout` or `rate` it asks for
    by name (the bounded, timed and paced clients)."""
    code = fetch_all.__code__
    asks = code.co_varnames[1:code.co_argcount]
    given = {"limit": limit, "timeout": timeout, "rate": rate}
    return fetch_all(urls, **{name: given[name] for name in asks})


def main(fetch_all, argv=None):
    args = parse(argv)
    urls = build_urls(args.url, args.n, args.delay, args.fail)
    start = time.perf_counter()
    results = call(fetch_all, urls, args.concurrency, args.client_timeout,
                   args.rate)
    total = time.perf_counter() - start
    for text in results:
        print(text)
    print(f"total: {total:.3f} s")
