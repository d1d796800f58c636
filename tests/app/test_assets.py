"""Light on the air (issue 8): compressed responses, hashed immutable assets, revalidated pages.
In-process (Flask's test client on a real create_app); one check against the real server."""
import gzip
import re
import shutil

import brotli
import pytest

from live import ROOT, assets, close_app, create_app

ASSET_URL = re.compile(r'(?:src|href)="(/assets/[^"]+)"')
BROWSER = "gzip, deflate, br, zstd"   # what Chromium offers a secure origin
PLAIN_HTTP = "gzip, deflate"           # what browsers offer a plain http:// page


@pytest.fixture(scope="module")
def asset_cache(tmp_path_factory):
    """One cache for the module's apps: each content is compressed once, as in real use."""
    return tmp_path_factory.mktemp("asset-cache")


@pytest.fixture
def app(tmp_path, asset_cache):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "ASSET_CACHE": str(asset_cache)})
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


def decoded(response):
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def page_assets(client):
    return ASSET_URL.findall(decoded(client.get("/", headers={"Accept-Encoding": BROWSER})).decode())


@pytest.mark.parametrize("accept, expected", [(BROWSER, "br"), (PLAIN_HTTP, "gzip"),
                                              ("br;q=0.5, gzip", "gzip"), ("", None),
                                              ("identity", None)])
def test_every_text_response_is_compressed_by_what_the_client_accepts(client, accept, expected):
    for path in ["/", "/deck/starter.md", "/api/demos", *page_assets(client)]:
        response = client.get(path, headers={"Accept-Encoding": accept})
        assert response.status_code == 200, path
        assert response.headers.get("Content-Encoding") == expected, path
        assert "Accept-Encoding" in response.headers["Vary"], path
        assert decoded(response), path


def test_page_names_only_hashed_assets_and_they_resolve(client, app):
    urls = page_assets(client)
    assert any("/vendor/remark.min." in url for url in urls)
    assert any(url.endswith(".css") for url in urls)
    manifest = assets.manifest(app)
    for url in urls:
        assert re.fullmatch(r"/assets/[\w/.-]+\.[0-9a-f]{12}\.(js|css)", url), url
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        name = next(name for name, (hashed, _path) in manifest.items() if hashed == url)
        assert response.data == app.extensions["assets"].get(name).data
    remark_url, remark_path = manifest["vendor/remark.min.js"]
    assert client.get(remark_url).data == remark_path.read_bytes()
    assert client.get(remark_url).mimetype == "text/javascript"


def test_bundle_is_our_scripts_in_order(app):
    url, paths = assets.manifest(app)["js/all.js"]
    data = app.extensions["assets"].get("js/all.js").data
    # minified, each file keeps its heading: the files are all there, in the bundle's order
    offsets = [data.index(b"/*! %s */" % name.encode()) for name in assets.BUNDLES["js/all.js"]]
    assert offsets == sorted(offsets) and len(paths) == len(assets.BUNDLES["js/all.js"])
    assert b"\n  " not in data  # minified: no indented lines


@pytest.mark.parametrize("bad", ["js/deck.000000000000.js", "js/deck.js", "vendor/remark.min.js",
                                 "js/nothing.0123456789ab.js", "../live/assets.0123456789ab.py",
                                 "css/deck.D7735BBDB49E.css"])
def test_unknown_names_and_hashes_are_404(client, bad):
    assert client.get(assets.PREFIX + bad).status_code == 404


def test_a_stale_hash_is_404_and_an_edited_file_gets_a_new_one(tmp_path):
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    app.extensions["assets"] = assets.Assets(static, {}, tmp_path / "cache")
    try:
        client = app.test_client()
        with app.test_request_context():
            old = assets.url("css/deck.css")
        (static / "css" / "deck.css").write_text("body { color: red }\n")
        with app.test_request_context():
            new = assets.url("css/deck.css")
        assert new != old
        assert client.get(old).status_code == 404
        assert decoded(client.get(new, headers={"Accept-Encoding": "gzip"})) == b"body{color:red}"
    finally:
        close_app(app)


def test_assets_are_compressed_once_not_per_request(monkeypatch, tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "ASSET_CACHE": str(tmp_path / "cache")})
    try:
        compressed_once(app, app.test_client(), monkeypatch, tmp_path)
    finally:
        close_app(app)


def compressed_once(app, client, monkeypatch, tmp_path):
    url = next(url for url in page_assets(client) if "/vendor/" in url)
    client.get(url, headers={"Accept-Encoding": "br"})
    app.extensions["assets"].warmer.join(60)   # set-up started compressing everything
    calls = []
    monkeypatch.setattr(assets, "compress", lambda data, name: calls.append(name) or b"")
    remark = app.config["REMARK_JS"].read_bytes()
    for accept, decode in [("br", brotli.decompress), ("gzip", gzip.decompress)] * 2:
        assert decode(client.get(url, headers={"Accept-Encoding": accept}).data) == remark
    assert calls == []
    count = 1 + len(assets.BUNDLES) + len(assets.CSS)  # remark, our bundle, our stylesheets
    assert sorted(path.suffix for path in (tmp_path / "cache").iterdir()) == \
        [".br"] * count + [".gzip"] * count
    # another app (a restart) takes them from the cache: still no compression
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other"), "ASSET_CACHE": str(tmp_path / "cache")})
    try:
        other.extensions["assets"].warm()
        assert gzip.decompress(other.test_client().get(url, headers={"Accept-Encoding": "gzip"}).data) == remark
    finally:
        close_app(other)
    assert calls == []


@pytest.mark.parametrize("path", ["/", "/deck/starter.md"])
def test_the_page_and_the_deck_revalidate(client, path):
    first = client.get(path, headers={"Accept-Encoding": BROWSER})
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    again = client.get(path, headers={"Accept-Encoding": BROWSER, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    changed = client.get(path, headers={"Accept-Encoding": BROWSER, "If-None-Match": '"other"'})
    assert changed.status_code == 200


def test_the_presenters_deck_is_private(client, app):
    client.get(f"/presenter?token={app.config['PRESENTER_TOKEN']}")
    response = client.get("/deck/starter.md")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response.headers["Vary"]


def test_the_old_remark_address_sends_on_to_the_hashed_one(client, app):
    response = client.get("/vendor/remark.min.js")
    assert response.status_code == 302
    assert response.headers["Location"] == assets.manifest(app)["vendor/remark.min.js"][0]


def test_real_server_sends_remark_compressed_and_immutable(live_app, http):
    page = http.get(live_app.url + "/", headers={"Accept-Encoding": PLAIN_HTTP}, timeout=10)
    remark = next(url for url in ASSET_URL.findall(page.text) if "/vendor/" in url)
    response = http.get(live_app.url + remark, headers={"Accept-Encoding": PLAIN_HTTP},
                        stream=True, timeout=30)
    raw = response.raw.read(decode_content=False)
    assert response.headers["Content-Encoding"] == "gzip"
    # remark as make builds it (lean highlight.js): about 33 KB gzipped, 101 KB plain
    assert len(raw) < 40_000 and len(gzip.decompress(raw)) > 2.5 * len(raw)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
