"""Static assets under content-hashed URLs, compressed once and kept.

    /assets/css/deck.3f2a9c1b0d4e.css  -> static/css/deck.css, while its content hashes to 3f2a9c1b0d4e
    /assets/js/all.<hash>.js            -> static/js/*.js of BUNDLES["js/all.js"], one after the other
    /assets/vendor/remark.min.<hash>.js -> build/remark.min.js, which make builds from npm
                                           packages (scripts/remark/build.mjs), never a CDN

A hashed URL names one content for ever: `Cache-Control: public, max-age=31536000, immutable`,
so a phone that reloads asks only for the page and the deck. Each content is compressed once
(brotli 11 and zopfli's gzip, at set-up or first use, under a lock so a room waits for one
compression), kept on disk by content hash (ASSET_CACHE) and served from memory by what the
client accepts. Any other hash, or a name that is not an asset, is a 404.

Every other text response (pages, the deck's markdown, JSON) is compressed per response by
flask-compress, brotli where accepted, else gzip. `manifest(app)` maps each asset name to
(hashed URL, file path): the one place a handout or a template finds an asset.
"""
import hashlib
import logging
import mimetypes
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import brotli
import rcssmin
import rjsmin
import zopfli.gzip
from flask import Blueprint, Response, abort, current_app, redirect, request
from flask_compress import Compress

bp = Blueprint("assets", __name__)
log = logging.getLogger(__name__)
PREFIX = "/assets/"
REMARK_JS = Path(__file__).resolve().parent.parent / "build" / "remark.min.js"
IMMUTABLE = "public, max-age=31536000, immutable"
DIGEST_CHARS = 12
HASHED = re.compile(r"(?P<stem>[A-Za-z0-9_./-]+?)\.(?P<digest>[0-9a-f]{%d})(?P<ext>\.[A-Za-z0-9]+)"
                    % DIGEST_CHARS)
ENCODINGS = ("br", "gzip")  # in the server's order of preference
# Our scripts in the order the page runs them, sent as one file: one response instead of one per
# script, and compressed together (a plain-http phone gets 6 KB less). Add a new script here.
BUNDLES = {
    "js/all.js": ("js/util.js", "js/wire.js", "js/store.js", "js/socket.js", "js/status.js",
                  "js/lanes.js", "js/timeline.js", "js/panelform.js", "js/panel.js",
                  "js/compare.js", "js/crowd.js", "js/crowdplot.js", "js/crowdpanel.js",
                  "js/predict.js", "js/replay.js", "js/handout.js", "js/reader.js", "js/deck.js"),
}
CSS = ("css/deck.css", "css/lanes.css")  # in the page's order
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# Dynamic text responses: flask-compress at a quick level (they are small and change).
COMPRESS_CONFIG = {
    "COMPRESS_ALGORITHM": list(ENCODINGS),
    "COMPRESS_ALGORITHM_STREAMING": list(ENCODINGS),
    "COMPRESS_STREAMS": False,  # files stream: assets are compressed here, once, not per request
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 256,
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/plain", "text/markdown", "text/javascript",
                           "application/javascript", "application/json", "image/svg+xml"],
}


@dataclass
class Asset:
    """One asset's current content (a file, or a bundle of files in order), its digest, and its
    encodings once made."""
    name: str
    paths: tuple
    stamp: tuple
    data: bytes
    sha: str
    cache: Path | None = None
    encoded: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def digest(self):
        return self.sha[:DIGEST_CHARS]

    @property
    def url(self):
        stem, dot, ext = self.name.rpartition(".")
        return f"{PREFIX}{stem}.{self.digest}.{ext}" if dot else f"{PREFIX}{self.name}.{self.digest}"

    @property
    def mimetype(self):
        suffix = PurePosixPath(self.name).suffix.lower()
        return TYPES.get(suffix) or mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def encoding(self, name):
        """The content in encoding `name` ("br", "gzip" or "identity"), made once."""
        if name == "identity":
            return self.data
        with self.lock:  # blocking: the first caller compresses, the others wait for it
            if name not in self.encoded:
                self.encoded[name] = self.cached(name)
            return self.encoded[name]

    def cached(self, name):
        """Compressed by an earlier run (same content, same encoding), or compressed now and kept
        for the next one: restarting the app, or a test suite of apps, compresses once."""
        if self.cache is None:
            return compress(self.data, name)
        path = self.cache / f"{self.sha}.{name}"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        data = compress(self.data, name)
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
            partial.write_bytes(data)
            os.replace(partial, path)  # whole or not at all, whoever else writes it
        except OSError as exc:  # a read-only home: serve from memory only
            log.warning("asset cache %s not written: %s", self.cache, exc)
        return data


def compress(data, name):
    """brotli at its best; gzip by zopfli (5 % smaller than gzip -9, and plain http:// pages get
    no brotli from browsers, which offer it over https only)."""
    if name == "br":
        return brotli.compress(data, quality=11)
    return zopfli.gzip.compress(data)


def stamp_of(paths):
    """What tells that content changed: (mtime, size) of each file; None if one is missing."""
    try:
        return tuple((stat.st_mtime_ns, stat.st_size) for stat in (path.stat() for path in paths))
    except FileNotFoundError:
        return None


def read(name, paths):
    """A file's bytes; a bundle's files one after the other, each headed by its name. Our own
    scripts and stylesheets are minified (rjsmin, rcssmin) before they are compressed: on plain
    http:// a phone gets gzip only, and every KB of the first load is shared venue Wi-Fi."""
    if len(paths) == 1 and name not in BUNDLES:
        return minified(name, paths[0].read_bytes())
    return minified(name, b"".join(
        b"/*! %s */\n" % part.encode() + path.read_bytes().rstrip(b"\n") + b"\n"
        for part, path in zip(BUNDLES[name], paths)))


def minified(name, data):
    """`data` minified when it is one of our .js or .css files (vendor files come minified)."""
    if name.startswith("vendor/"):
        return data
    if name.endswith(".js"):
        return rjsmin.jsmin(data.decode("utf-8"), keep_bang_comments=True).encode("utf-8")
    if name.endswith(".css"):
        return rcssmin.cssmin(data.decode("utf-8"), keep_bang_comments=True).encode("utf-8")
    return data


class Assets:
    """The app's assets: every file under static/ as `css/deck.css`, `js/deck.js`, ..., the
    vendored files (`vendor/remark.min.js`) and the BUNDLES. A file edited while the app runs
    gets a new hash."""

    def __init__(self, static_dir, vendor, cache=None):
        self.static_dir, self.vendor = Path(static_dir), dict(vendor)
        self.cache = Path(cache) if cache else None
        self.lock = threading.Lock()
        self.current = {}
        self.known = self.scan()
        self.warmer = None

    def scan(self):
        found = {path.relative_to(self.static_dir).as_posix(): (path,)
                 for path in sorted(self.static_dir.rglob("*")) if path.is_file()}
        found.update({name: (Path(path),) for name, path in self.vendor.items()})
        for name, parts in BUNDLES.items():
            if all(part in found for part in parts):
                found[name] = tuple(found[part][0] for part in parts)
        return found

    def names(self):
        return list(self.known)

    def get(self, name):
        """The Asset called `name`, re-read if a file of it changed; None if there is none."""
        if name not in self.known:
            self.known = self.scan()  # a file added while the app runs
        paths = self.known.get(name)
        stamp = stamp_of(paths) if paths else None
        if stamp is None:
            return None
        with self.lock:
            asset = self.current.get(name)
            if asset is None or asset.stamp != stamp:
                data = read(name, paths)
                asset = Asset(name, paths, stamp, data, hashlib.sha256(data).hexdigest(), self.cache)
                self.current[name] = asset
            return asset

    def url(self, name):
        asset = self.get(name)
        if asset is None:
            raise KeyError(f"no asset {name!r}")
        return asset.url

    def warm_soon(self):
        """Compress (or read from the cache) in a thread of its own, once, at set-up."""
        with self.lock:
            if self.warmer is None:
                self.warmer = threading.Thread(target=self.warm, name="assets-warm", daemon=True)
                self.warmer.start()

    def manifest(self):
        """{name: (hashed URL, file path)} for every file; a bundle's path is a tuple of its
        files' paths, in order (its content is `get(name).data`)."""
        entries = {}
        for name in self.names():
            asset = self.get(name)
            if asset is not None:
                entries[name] = (asset.url, asset.paths if name in BUNDLES else asset.paths[0])
        return entries

    def warm(self):
        """Compress what a page asks for in every encoding (for a server about to meet a room)."""
        for name in [*self.vendor, *BUNDLES, *CSS]:
            asset = self.get(name)
            for encoding in ENCODINGS if asset is not None else ():
                asset.encoding(encoding)

    def lookup(self, filename):
        """The Asset a hashed file name under /assets/ names, or None (also for a stale hash)."""
        match = HASHED.fullmatch(filename)
        if not match:
            return None
        asset = self.get(match["stem"] + match["ext"])
        return asset if asset is not None and asset.digest == match["digest"] else None


def of(app=None):
    return (app or current_app).extensions["assets"]


def url(name):
    """The hashed URL of asset `name` (templates call it as asset_url)."""
    return of().url(name)


def manifest(app=None):
    """{asset name: (hashed URL, file path)}, e.g. {"js/deck.js": ("/assets/js/deck.<h>.js", ...)}."""
    return of(app).manifest()


def chosen_encoding():
    return request.accept_encodings.best_match(ENCODINGS, default="identity")


@bp.get(PREFIX + "<path:filename>")
def serve(filename):
    """One asset, by its hashed name, in the best encoding the client accepts."""
    asset = of().lookup(filename)
    if asset is None:
        abort(404)
    encoding = chosen_encoding()
    response = Response(asset.encoding(encoding), mimetype=asset.mimetype)
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = IMMUTABLE
    response.set_etag(f"{asset.digest}-{encoding}")
    return response.make_conditional(request)


@bp.get("/vendor/remark.min.js")
def remark():
    """The old unhashed address: sent on to the current hashed one."""
    return redirect(url("vendor/remark.min.js"), code=302)


def default_cache():
    """~/.cache/concurrency-live/assets (or under $XDG_CACHE_HOME): compressed bytes by the
    SHA-256 of their source, so any app on this machine may share them."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "concurrency-live", "assets")


def init_app(app):
    """Hashed, precompressed assets, and compression of every other text response."""
    app.config.setdefault("ASSET_CACHE", default_cache())
    app.extensions["assets"] = Assets(app.static_folder,
                                      {"vendor/remark.min.js": app.config["REMARK_JS"]},
                                      app.config["ASSET_CACHE"])
    app.extensions["assets"].warm_soon()  # set-up: compressed (or read from the cache) before a room asks
    app.jinja_env.globals["asset_url"] = url
    app.jinja_env.globals["css"] = CSS  # the stylesheets, in order
    for key, value in COMPRESS_CONFIG.items():
        app.config.setdefault(key, value)
    Compress().init_app(app)
    app.register_blueprint(bp)
