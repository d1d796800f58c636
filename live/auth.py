"""The presenter's token: checked in constant time, then kept in an HttpOnly SameSite=Strict cookie.

The cookie holds the time it was issued and an HMAC of it keyed by the token, never the token:
it expires (COOKIE_HOURS), a new login issues a new value, and rotating the token (a new
--presenter-token at start) invalidates every old cookie. Wrong tokens are rate limited per
client address (a few guesses a minute), and state-changing requests from another site are
refused (Origin / Sec-Fetch-Site), since SameSite ignores ports.
"""
import collections
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

COOKIE = "presenter"
COOKIE_HOURS = 12  # a talk and its rehearsal; then the presenter URL again
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,128}")  # fits in a URL as is
GUESSES, GUESS_WINDOW = 10, 60.0  # wrong tokens per client address per minute
URL_FILE = "presenter-url.txt"  # in the instance folder, readable by its owner only


def new_token():
    return secrets.token_urlsafe(18)


def token():
    return current_app.config["PRESENTER_TOKEN"]


def same(given, expected):
    """Constant-time comparison of two strings (False for anything that is not a string)."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def check_token(given):
    """Is `given` the presenter token?"""
    return same(given, token())


def signature(issued):
    return hmac.new(token().encode(), f"concurrency-live presenter {issued}".encode(),
                    hashlib.sha256).hexdigest()


def cookie_value(issued=None):
    """`<issued>.<hmac>`: issued is wall-clock seconds (an expiry that survives a restart)."""
    issued = int(time.time()) if issued is None else issued
    return f"{issued}.{signature(issued)}"


def valid_cookie(value, now=None):
    """Signed with today's token and younger than COOKIE_HOURS?"""
    issued, _, mac = str(value or "").partition(".")
    if not issued.isascii() or not issued.isdigit() or len(issued) > 12:
        return False
    age = (time.time() if now is None else now) - int(issued)
    return 0 <= age < COOKIE_HOURS * 3600 and same(mac, signature(int(issued)))


def set_cookie(response):
    """Mark the browser as the presenter's (the cookie never reaches page scripts)."""
    response.set_cookie(COOKIE, cookie_value(), max_age=COOKIE_HOURS * 3600, httponly=True,
                        samesite="Strict", path="/")
    return response


def bearer(request):
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def is_presenter(request):
    """The presenter's cookie or `Authorization: Bearer <token>`; used by HTTP and the WS handshake.
    A wrong Bearer token counts as a guess; past the limit even the right one is refused."""
    if valid_cookie(request.cookies.get(COOKIE, "")):
        return True
    given = bearer(request)
    return bool(given) and try_token(request, given)


class Guesses:
    """Wrong tokens per client address in the last GUESS_WINDOW seconds (bounded memory)."""

    def __init__(self, limit=GUESSES, window=GUESS_WINDOW, clock=time.monotonic, size=4096):
        self.limit, self.window, self.clock, self.size = limit, window, clock, size
        self.wrong = collections.OrderedDict()  # address -> deque of monotonic times
        self.lock = threading.Lock()

    def recent(self, address):
        times = self.wrong.get(address, collections.deque())
        while times and self.clock() - times[0] > self.window:
            times.popleft()
        return times

    def allowed(self, address):
        with self.lock:
            return len(self.recent(address)) < self.limit

    def note_wrong(self, address):
        with self.lock:
            self.wrong[address] = self.recent(address)
            self.wrong[address].append(self.clock())
            self.wrong.move_to_end(address)
            while len(self.wrong) > self.size:
                self.wrong.popitem(last=False)


def guesses():
    return current_app.extensions.setdefault("presenter-guesses", Guesses())


class TooManyGuesses(Exception):
    """This address gave too many wrong tokens lately."""


def try_token(request, given):
    """check_token, rate limited per address: TooManyGuesses once over the limit."""
    address = request.remote_addr or "?"
    if not guesses().allowed(address):
        raise TooManyGuesses(f"too many wrong presenter tokens from {address}: "
                             f"wait a minute")
    if check_token(given):
        return True
    guesses().note_wrong(address)
    return False


def cross_site(request):
    """A browser's request from another origin (another site, or another port of this host:
    SameSite does not tell those apart)? Clients without these headers are not browsers."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc.lower() != request.host.lower()


def save_presenter_url(folder, url):
    """Write the presenter URL to <folder>/presenter-url.txt, readable by its owner only;
    returns the path (the banner names the file, not the token)."""
    path = Path(folder) / URL_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(url + "\n")
    os.chmod(path, 0o600)  # an older file may have had other bits
    return path
