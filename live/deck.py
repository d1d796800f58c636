"""Blueprint: the audience and presenter pages and the deck markdown with its directives expanded
(speaker notes only for the presenter). Both revalidate (ETag, `no-cache`): a phone that reloads
gets 304s for them and takes its hashed assets (live/assets.py) from its cache unasked."""
import re

from flask import (Blueprint, abort, current_app, make_response, redirect, render_template,
                   request, url_for)

from live import auth, netinfo
from live.directives import Context, expand_deck

bp = Blueprint("deck", __name__)
DECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


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
    source = path.read_text(encoding="utf-8")
    text = expand_deck(source, context(path.parent), notes=auth.is_presenter(request))
    response = make_response(text)
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    return revalidated(response, private=auth.is_presenter(request))
