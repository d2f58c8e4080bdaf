"""Translations: Russian is the interface's default language, English the alternative.

Message ids in the templates and views are English; `web/translations/ru/.../messages.po`
holds the Russian. Only the .po files are kept in the repository: the app compiles each
to .mo when it is missing or older than its .po (Babel's own compiler, a few ms), so no
build step can be forgotten and no binary file drifts from its source. Where the package
folder is read-only the .mo files go to `<instance>/translations`.

Refresh the catalog after changing strings:
    .venv/bin/pybabel extract -F web/babel.cfg -o web/translations/messages.pot web
    .venv/bin/pybabel update -i web/translations/messages.pot -d web/translations
"""
from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

LANGUAGES = {"ru": "Русский", "en": "English"}
SOURCE_DIR = Path(__file__).resolve().parent / "translations"


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Compile every `<lang>/LC_MESSAGES/*.po` under `source` into `target`; return the .mo written."""
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        os.replace(tmp, mo)  # atomic: two processes starting at once never read half a file
        written.append(mo)
    return written


def compiled_translations_dir(app: Flask) -> Path:
    """Where Flask-Babel should look for .mo files, compiling them first if needed."""
    try:
        compile_catalogs(SOURCE_DIR, SOURCE_DIR)
        return SOURCE_DIR
    except OSError:
        target = Path(app.config["INSTANCE_DIR"]) / "translations"
        compile_catalogs(SOURCE_DIR, target)
        return target


def install_request_translations(app: Flask) -> None:
    """Templates look the catalog up once per request, not once per string.

    Flask-Babel's template gettext finds the request context, the locale and the catalog on
    every call (~40 µs; a page has dozens of strings). The locale is already fixed for the
    request (Flask-Babel keeps it on the context), so the catalog is too: it is kept on `g`.
    """
    from flask import g, has_app_context
    from flask_babel import get_translations
    from jinja2 import pass_eval_context
    from markupsafe import Markup

    def translations():  # noqa: ANN202 - babel.support.Translations
        if not has_app_context():
            return get_translations()
        t = g.get("_translations")
        if t is None:
            t = g._translations = get_translations()
        return t

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @pass_eval_context
    def translate(eval_ctx, string: str, **variables):  # noqa: ANN001, ANN202 - Jinja's context, str or Markup
        """`_()` in templates: what Jinja's newstyle gettext does, in one call instead of three.

        Jinja's `_` goes through its alias, its newstyle wrapper and the installed function,
        each by Context.call (~13 µs a string, a page has twenty). Same result: the translation,
        made Markup when the template escapes, and %-formatted (so its variables get escaped).
        """
        rv = translations().ugettext(string)
        if eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables if variables or "%" in rv else rv

    app.jinja_env.globals["_"] = translate
