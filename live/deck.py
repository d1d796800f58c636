"""Blueprint: the audience and presenter pages and the deck markdown with its directives expanded
(speaker notes only for the presenter). Both revalidate (ETag, `no-cache`): a phone that reloads
gets 304s for them and takes its hashed assets (live/assets.py) from its cache unasked."""
import re
import threading

from flask import (Blueprint, abort, current_app, make_response, redirect, render_template,
                   request, url_for)

from live import auth, netinfo
from live.directives import Context, expand_deck

bp = Blueprint("deck", __name__)
DECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Expanding the talk takes ~35 ms of CPU (lexing 48 slides, the QR code): a room of phones
# opening the page at once would queue behind it, so each expansion is kept while the files
# it read are unchanged (app.extensions["expanded"]: {(deck, notes, URL): (stamps, text)}).
EXPANDING = threading.Lock()


def deck_paths():
    """{name: path} of every deck: slides/*.md, plus the deck given on the command line."""
    slides = current_app.config["SLIDES_DIR"]
    decks = {path.stem: path for path in sorted(slides.glob("*.md")) if path.is_file()}
    default = current_app.config["DECK"]
    decks[default.stem] = default  # --deck may name any file; it is the presenter's choice
    return decks


def deck_path(name):
    """The deck called `name` (a name, never a path): 404 for anything else."""
    if not isinstance(name, str) or not DECK_NAME.fullmatch(name) or ".." in name:
        abort(404)
    path = deck_paths().get(name)
    if path is None:
        abort(404)
    slides = current_app.config["SLIDES_DIR"].resolve()
    if path != current_app.config["DECK"] and not path.resolve().is_relative_to(slides):
        abort(404)  # a symlink in slides/ that points elsewhere
    return path


def page(role):
    """The one page, for `role`; ?deck=<name> picks another deck."""
    name = request.args.get("deck") or current_app.config["DECK"].stem
    deck_path(name)
    response = make_response(render_template(
        "deck.html", role=role, deck=name, deck_url=url_for("deck.markdown", name=name),
        deck_names=sorted(deck_paths())))
    return revalidated(response, private=role == "presenter")


def revalidated(response, private=False):
    """Cached, but asked again every time: an ETag of the content, so an unchanged one is a 304.
    (flask-compress tags the ETag with the encoding and answers If-None-Match.)"""
    response.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"
    response.vary.add("Cookie")
    response.add_etag()
    return response


@bp.get("/")
def audience():
    """The audience page."""
    return page("audience")


@bp.get("/presenter")
def presenter():
    """?token=T sets the presenter cookie and redirects; without it the cookie is required."""
    if "token" in request.args:
        if not auth.try_token(request, request.args["token"]):
            abort(403, "wrong presenter token")
        deck = request.args.get("deck")
        target = url_for("deck.presenter", **({"deck": deck} if deck else {}))
        response = redirect(target, code=303)
        response.headers["Cache-Control"] = "no-store"
        return auth.set_cookie(response)
    if not auth.is_presenter(request):
        abort(403, "open the presenter link (its file, presenter-url.txt, is named at start)")
    return page("presenter")


def audience_url():
    urls = current_app.config["AUDIENCE_URLS"]
    return urls[0] if urls else request.url_root


def context(deck_dir):
    app = current_app
    return Context(root=app.config["ROOT_DIR"], bench_dir=app.config["BENCH_DIR"],
                   audience_url=audience_url(), params=app.extensions["live"].runs.params,
                   qr=netinfo.svg_qr, deck_dir=deck_dir)


@bp.get("/deck/<name>.md")
def markdown(name):
    """The deck's markdown, directives expanded; notes stripped unless from the presenter."""
    path = deck_path(name)
    text = expanded(path, auth.is_presenter(request), audience_url())
    response = make_response(text)
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    return revalidated(response, private=auth.is_presenter(request))


def stamps(paths):
    """(path, mtime, size) of each file, None for one that is not there: what tells a change."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
            found.append((path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            found.append((path, None, None))
    return tuple(found)


def expanded(path, notes, url):
    """The deck's markdown, expanded, from the cache while no file it read has changed."""
    key = (path, notes, url)
    cache = current_app.extensions.setdefault("expanded", {})
    with EXPANDING:  # blocking: one expansion at a time; a room waits for it, then shares it
        kept = cache.get(key)
        if kept is not None and stamps(path for path, _, _ in kept[0]) == kept[0]:
            return kept[1]
        before = stamps([path])
        deck_context = context(path.parent)
        text = expand_deck(path.read_text(encoding="utf-8"), deck_context, notes=notes)
        cache[key] = (before + stamps(deck_context.reads), text)
        return text
