"""Signing done once instead of on every page: the session's serializer and the CSRF token.

Flask's SecureCookieSessionInterface builds a new URLSafeTimedSerializer on every request, and
itsdangerous' constructor serialises a probe object to learn whether its serializer returns
text: ~2% of a page's CPU under bench/bench_web.py, for an object that holds no per-request
state. Flask-WTF signs the session's CSRF secret anew for every page that has a form (all of
them: the log-out button): ~4%. Everything else (cookie format, signing, checking) is Flask's
and Flask-WTF's own.
"""
from __future__ import annotations

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

from web.cache import Memo

_signed_tokens = Memo(size=2000)  # (secret key, the session's CSRF secret) -> its signed form


class SessionInterface(SecureCookieSessionInterface):
    """SecureCookieSessionInterface whose serializer is rebuilt only when the keys change."""

    def __init__(self) -> None:
        self._made: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = self._made  # one read: another thread may replace it meanwhile, never half-way
        if made is None or made[0] != keys:
            made = (keys, super().get_signing_serializer(app))
            self._made = made
        return made[1]


def csrf_token() -> str:
    """Flask-WTF's generate_csrf, its result kept per session while tokens never expire.

    With WTF_CSRF_TIME_LIMIT None (web/__init__.py) the time in a signed token is never
    checked, so one signed token per session secret is as good as a fresh one on each page.
    With a time limit set, a fresh token is signed every time, as Flask-WTF does.
    """
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    fresh = generate_csrf() if session.get(field) is None else None  # a new session: its secret is made now
    key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key  # what Flask-WTF signs with
    signed = _signed_tokens.get((key, session[field]), lambda: fresh or generate_csrf())
    setattr(g, field, signed)  # generate_csrf later in this request returns the same token
    return signed
