"""The presenter's token: checked in constant time, then kept in an HttpOnly SameSite=Strict cookie.

The cookie holds an HMAC of the token, not the token itself: rotating the token (a new
--presenter-token at start) invalidates every old cookie, and a leaked cookie is not the token.
"""
import hashlib
import hmac
import re
import secrets

from flask import current_app

COOKIE = "presenter"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,128}")  # fits in a URL as is


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


def cookie_value():
    return hmac.new(token().encode(), b"concurrency-live presenter cookie",
                    hashlib.sha256).hexdigest()


def set_cookie(response):
    """Mark the browser as the presenter's (the cookie never reaches page scripts)."""
    response.set_cookie(COOKIE, cookie_value(), httponly=True, samesite="Strict", path="/")
    return response


def bearer(request):
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def is_presenter(request):
    """The presenter's cookie or `Authorization: Bearer <token>`; used by HTTP and the WS handshake."""
    return same(request.cookies.get(COOKIE, ""), cookie_value()) or check_token(bearer(request))
