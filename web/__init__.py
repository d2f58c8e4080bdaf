"""Norma's web interface: the Flask application factory.

`create_app(config)` builds the app; `python -m tracker serve` runs it. Views are thin
and live in one blueprint per area (auth, acts, campaigns, review, dashboard, exports,
admin); everything they know comes from `tracker` functions.
"""
from __future__ import annotations

import gc
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request, session
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFError, CSRFProtect

from tracker.db import default_db_path, instance_dir, open_db
from web import core
from web.i18n import LANGUAGES, compiled_translations_dir, install_request_translations
from web.sessions import SessionInterface, csrf_token

csrf = CSRFProtect()
babel = Babel()

DEFAULT_MAX_UPLOAD_MB = 100  # one request: several files; parsers refuse a single file over 50 MB


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(folder: Path) -> str:
    """The secret key: NORMA_SECRET_KEY, else `<instance>/secret_key`, created on first run.

    Written with mode 0600 (mkstemp) and linked into place, so two processes starting
    at once cannot end up with different or empty keys (the loser reads the winner's file).
    """
    env = os.environ.get("NORMA_SECRET_KEY")
    if env:
        return env
    path = folder / "secret_key"
    folder.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # written whole to a private temp file, then linked into place: another process
        # starting at the same moment sees either no key file or the complete key, never ""
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)  # fails if another process linked its key first: theirs wins
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path}: the secret key is empty or too short; delete the file to make a new one")
    return key


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the defaults (tests pass DATABASE, TESTING, ...).

    Keys of note: DATABASE (file; default $NORMA_DB or instance/norma.db), INSTANCE_DIR
    (where the secret key is kept), WARM_UP (`warm_up` before serving; tracker serve sets it),
    START_WORKER (the import job thread; off when
    TESTING), MAX_CONTENT_LENGTH (bytes per request), SESSION_COOKIE_SECURE
    (env NORMA_SECURE_COOKIES=1 behind HTTPS).
    """
    config = dict(config or {})
    app = Flask(__name__)
    secure = _env_flag("NORMA_SECURE_COOKIES")
    max_mb = int(os.environ.get("NORMA_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    app.config.update(
        DATABASE=str(default_db_path()),
        INSTANCE_DIR=str(instance_dir()),
        MAX_CONTENT_LENGTH=max_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        # A lawyer may keep a review form open for hours: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="ru",
        BABEL_DEFAULT_TIMEZONE="UTC",
        PAGE_SIZE=100,
        JOBS_REFRESH_SECONDS=2,
    )
    app.config.update(config)
    app.config.setdefault("START_WORKER", not app.config.get("TESTING", False))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.config["INSTANCE_DIR"]))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_translations_dir(app))

    # the schema exists before the first request (and before the worker thread starts)
    open_db(app.config["DATABASE"]).close()

    hops = int(os.environ.get("NORMA_PROXY_HOPS", app.config.get("PROXY_HOPS", 0)) or 0)
    if hops > 0:
        # behind a reverse proxy: the client's address (login limits, logs) and https come from
        # the X-Forwarded-* headers of that many trusted proxies, never from further ones
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    install_request_translations(app)
    core.login_manager.init_app(app)
    app.teardown_appcontext(core.close_db)

    from web import acts, admin, auth, campaigns, dashboard, exports, review

    for module in (auth, acts, campaigns, review, dashboard, exports, admin):
        app.register_blueprint(module.bp)
    from web import mail_views  # the send log, report previews, "send now" (tracker.reminders)

    app.register_blueprint(mail_views.bp)

    app.jinja_env.filters["ddmmyyyy"] = core.ddmmyyyy
    app.jinja_env.filters["ddmmyyyy_hhmm"] = core.ddmmyyyy_hhmm
    app.jinja_env.globals["highlight"] = core.highlight
    app.jinja_env.globals["nav_links"] = core.nav_links
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_locale"] = _current_locale
    # in place of Flask-WTF's generate_csrf (web/sessions.py), which it also puts in every context
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})

    _register_errors(app)
    app.after_request(_security_headers)

    if app.config.get("WARM_UP"):
        warm_up(app)  # before the job thread starts: nothing of a running import gets frozen
    if app.config["START_WORKER"]:
        start_jobs(app)
    return app


def start_jobs(app: Flask):
    """Start this process's import job thread for the app's database; returns it (`stop()` ends it).

    A thread does not survive a fork: a server that builds the app once and then forks its
    workers (tracker serve) calls this in each worker, after the fork.
    """
    from tracker.analysis import analyse
    from tracker.jobs import start_worker

    return start_worker(app.config["DATABASE"], extract=analyse)


def warm_up(app: Flask) -> None:
    """Pay the first-visit costs when a server process starts, not on a user's click.

    Without this the first search in each process loads pymorphy3's dictionaries (~50 ms)
    and the first visit to each page compiles its template (1-10 ms each), so the first
    users after a start or a worker restart wait for what no later user waits for. The
    served processes call it (tracker serve); tests, which build an app per test, do not.
    """
    from tracker.db import lemma_text

    lemma_text("заявление")  # loads the morphological dictionaries, as the first search would
    for name in app.jinja_env.list_templates(extensions=["html"]):
        app.jinja_env.get_template(name)  # compiled once, kept in Jinja's cache
    # What exists now (modules, dictionaries, templates) lives as long as the process: moved out
    # of the cyclic collector's sight, so its full collections stop walking it again and again
    # (30-45 ms pauses of the whole process, measured under bench/bench_web.py, instead of ~5 ms).
    gc.collect()
    gc.freeze()


def _current_locale() -> str:
    """The request's language for templates, as Flask-Babel fixed it for this request.

    _locale (the selector) reads the session and the user each time (~30 µs); templates ask
    for the language several times a page, and per measure on an act page.
    """
    locale = get_locale()
    return str(locale) if locale is not None else _locale()


def _locale() -> str:
    """The language chosen with the switch (kept in the session), else the user's own, else Russian."""
    from flask_login import current_user

    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    if current_user and current_user.is_authenticated and current_user.row.get("lang") in LANGUAGES:
        return current_user.row["lang"]
    return "ru"


def _security_headers(response):
    """No inline scripts, no framing, no MIME sniffing: cheap protection for every page."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _register_errors(app: Flask) -> None:
    def page(code: int, error: Any = None):
        return render_template("error.html", code=code, error=error), code

    @app.errorhandler(CSRFError)
    def csrf_error(e):  # noqa: ANN001
        return page(400, e)

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda e, c=code: page(c, e))

    @app.errorhandler(OverflowError)
    def id_out_of_range(e):  # noqa: ANN001
        # an id or page number beyond SQLite's 64-bit integers names nothing that exists
        return page(404, e)
