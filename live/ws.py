"""Blueprint: /ws, one WebSocket per viewer (JSON text frames, see docs/ARCHITECTURE.md).

`parse_message(text, role)` is the pure edge: any frame becomes an Action or a Reject with a
one-line reason, and never raises. The route does the handshake, hands the socket to the
reactor (no thread is held while a socket is open) and `answer` does each message's action
with the rate limits.
"""
import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request

from runner.params import ParamError, UnknownDemo

from live import auth, crowdlive
from live.ratelimit import Limits
from live.runs import Busy, NotRunning
from live.websocket import Connection, Refused, handshake, take_socket

bp = Blueprint("ws", __name__)
log = logging.getLogger(__name__)
MAX_BYTES = 4096
MAX_SLIDE = 100_000
PANEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
PRESENTER_ONLY = {"goto", "run", "cancel"} | crowdlive.PRESENTER_ONLY
TYPE_NAMES = {int: "an integer", str: "a string", dict: "an object", list: "a list"}
#: type -> {field: (python types, required)}
SCHEMA = {
    "goto": {"slide": (int, True)},
    "run": {"demo": (str, True), "panel": (str, False), "params": (dict, False)},
    "cancel": {},
    "sync": {},
    **crowdlive.SCHEMA,
}


@dataclass(frozen=True)
class Action:
    kind: str
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Reject:
    reason: str


def decode(text):
    """The frame as a dict, or a Reject."""
    if not isinstance(text, str):
        return Reject("binary frames are not accepted: send JSON text")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        return Reject(f"message too big: {size} bytes (at most {MAX_BYTES})")
    try:
        message = json.loads(text, parse_constant=reject_constant)
    except (ValueError, RecursionError) as exc:
        return Reject(f"malformed JSON: {one_line(exc)}")
    if not isinstance(message, dict):
        return Reject("a message must be a JSON object")
    return message


def reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def one_line(value, limit=120):
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_fields(kind, message):
    """A Reject for a missing, unexpected or wrongly typed field; None if all are fine."""
    schema = SCHEMA[kind]
    for name in message:
        if name != "type" and name not in schema:
            return Reject(f"{kind}: unexpected field {one_line(repr(name), 40)}")
    for name, (types, required) in schema.items():
        value = message.get(name)
        if value is None:
            if required:
                return Reject(f"{kind}: missing field {name!r}")
        elif isinstance(value, bool) or not isinstance(value, types):
            return Reject(f"{kind}: {name} must be {TYPE_NAMES[types]}")
    return None


def parse_message(text, role):
    """Action or Reject for one frame from a socket of `role` ("presenter" | "audience")."""
    message = decode(text)
    if isinstance(message, Reject):
        return message
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in SCHEMA:
        return Reject(f"unknown message type {one_line(repr(kind), 40)}")
    if kind in PRESENTER_ONLY and role != "presenter":
        return Reject(f"{kind}: only the presenter can do that")
    problem = check_fields(kind, message)
    if problem:
        return problem
    fields = {k: v for k, v in message.items() if k != "type"}
    if kind == "goto" and not 0 <= fields["slide"] <= MAX_SLIDE:
        return Reject(f"goto: slide must be between 0 and {MAX_SLIDE}")
    if kind == "run" and fields.get("panel") is not None and not PANEL.fullmatch(fields["panel"]):
        return Reject("run: panel must be a short name like p7")
    return Action(kind, fields)


def same_origin(req):
    """A browser always sends Origin: it must name this host. Clients without one are not
    browsers, and a cross-site page cannot hide it."""
    origin = req.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == req.host.lower()


def header_tokens(headers, name):
    """A comma-separated header as a set of lower-case tokens."""
    return {token.strip().lower() for token in headers.get(name, "").split(",")}


def handshake_problem(headers):
    """Why these headers are not a WebSocket upgrade we can answer (RFC 6455 4.2.1), or None:
    a bad one gets a 400 with the reason, never a traceback from deep in the library."""
    if "websocket" not in header_tokens(headers, "Upgrade") or \
            "upgrade" not in header_tokens(headers, "Connection"):
        return "expected a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)"
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        return "Sec-WebSocket-Version must be 13"
    try:
        key = base64.b64decode(headers.get("Sec-WebSocket-Key", "").strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 16:
        return "Sec-WebSocket-Key must be 16 bytes in base64"
    return None


@bp.before_request
def check_origin():
    if not same_origin(request):
        return "cross-site WebSocket refused: Origin does not match Host", 403
    problem = handshake_problem(request.headers)
    if problem:
        return f"bad WebSocket handshake: {problem}", 400
    decline_compression()
    return None


def decline_compression():
    """Decline permessage-deflate, which every browser offers: compressing each frame for each
    socket costs the app CPU in proportion to the room (bench/audience: slide-change p99 over
    100 ms at 500 followers) and rules out encoding a broadcast once for every socket. Our
    handshake (live/websocket.py) accepts no extension; dropping the header says so twice."""
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


class TakenOver(Response):
    """The answer of a route whose socket the reactor now owns: gunicorn must neither write
    to it nor keep it alive (flask-sock does the same)."""

    def __call__(self, environ, start_response):
        if "gunicorn.socket" in environ:
            raise StopIteration()
        return super().__call__(environ, start_response)


@bp.route("/ws", websocket=True)
def socket():
    """One viewer: the handshake here, then the reactor reads and writes its socket, and a
    handler thread does its messages one at a time (hello first)."""
    live = current_app.extensions["live"]
    try:
        role = "presenter" if auth.is_presenter(request) else "audience"
    except auth.TooManyGuesses:  # guessing tokens at the handshake: an audience socket
        role = "audience"
    peer = request.remote_addr or ""
    try:
        proto, accept = handshake(request.environ)
    except Refused as exc:
        return exc.reason, exc.status
    refused = refusal(live, peer)
    if refused:
        return refused, 429
    try:
        sock, mode = take_socket(request.environ)
    except Refused as exc:
        live.websockets.give(peer)
        return exc.reason, exc.status
    try:
        sock.sendall(accept)  # blocking (a few hundred bytes into an empty buffer)
    except OSError:  # the client is gone already
        sock.close()
        live.websockets.give(peer)
        return TakenOver()
    ended = serve(live, connection(live, sock, proto, peer, role), role, peer)
    if mode == "werkzeug":  # the development server closes the socket when we return
        ended.wait()  # blocking
    return TakenOver()


def refusal(live, peer):
    """Why `peer` may not open a WebSocket now (None: it may; counted then)."""
    if (benched := live.websockets.benched_for(peer)) > 0:
        return f"WebSockets from {peer} refused for {benched:.0f} s more: it flooded"
    if not live.websockets.take(peer):
        return (f"too many WebSockets from {peer} (at most {live.websockets.per_peer}; "
                "a room behind one NAT needs --max-ws-per-client)")
    return None


def connection(live, sock, proto, peer, role):
    config = current_app.config
    return Connection(sock, proto, peer, Limits(config["RATE_LIMITS"]),
                      out_size=live.hub.queue_size, in_size=config["WS_INBOX"],
                      max_message=config["WS_MAX_MESSAGE"], urgent=role == "presenter")


def serve(live, conn, role, peer):
    """Subscribe the connection, wire its handlers and hand it to the reactor; returns the
    event set when it has ended."""
    sub = live.hub.join(conn, role, live.greeting(role))
    bench = current_app.config["WS_FLOOD_BENCH"]
    conn.on_message = lambda text: respond(live, sub, conn.limits, text)
    if role != "presenter" and bench:  # a presenter is never locked out
        conn.on_abuse = lambda: live.websockets.bench(peer, bench)
    conn.on_close = lambda: live.reactor.defer(left, live, sub, peer)
    return live.reactor.add(conn)


def left(live, sub, peer):
    live.hub.leave(sub)
    live.websockets.give(peer)


def respond(live, sub, limits, text):
    """Do one message (a handler thread); refusals are answered while the socket has
    "reject" tokens, then an audience socket is closed and a presenter's go unanswered."""
    reason = answer(live, sub, limits, text)
    if not reason:
        return
    if limits.allow("reject"):
        live.hub.tell(sub, {"type": "reject", "reason": reason})
    elif sub.role != "presenter":
        sub.conn.abused("too many refused messages")


def answer(live, sub, limits, text):
    """Do what one frame asks; returns a reject reason or None."""
    action = parse_message(text, sub.role)
    if isinstance(action, Reject):
        return action.reason
    if not limits.allow(action.kind):
        return f"{action.kind}: too many messages, slow down"
    try:
        return ACTIONS[action.kind](live, sub, action.fields)
    except Exception:  # one bad message must not end the socket or the app
        log.exception("ws %s failed", action.kind)
        return f"{action.kind}: internal error"


def do_goto(live, _sub, fields):
    live.goto(fields["slide"])


def do_run(live, _sub, fields):
    try:
        live.runs.start(fields["demo"], fields.get("panel"), fields.get("params") or {})
    except (UnknownDemo, ParamError, Busy) as exc:
        return f"run: {one_line(exc)}"
    return None


def do_cancel(live, _sub, _fields):
    try:
        live.runs.cancel()
    except NotRunning as exc:
        return f"cancel: {exc}"
    return None


def do_sync(live, sub, _fields):
    live.hub.resync(sub, live.greeting(sub.role))


ACTIONS = {"goto": do_goto, "run": do_run, "cancel": do_cancel, "sync": do_sync,
           **crowdlive.ACTIONS}
