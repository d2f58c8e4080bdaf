"""Refusals from `tracker` shown in the interface's language.

tracker's ValueErrors carry English sentences written for the CLI and logs (with the
offending value inside), so a gettext lookup of the whole message cannot match. The
web layer knows the few that reach a form and rewrites them here; anything else is
shown as it came, which is still a correct (English) reason.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

# (pattern over tracker's message, translated message built from the match)
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"a reason is required for the verdict '(\w+)'"),
     lambda m: _("Give the reason for this verdict.")),
    (re.compile(r"the new wording is required for the verdict 'amend'"),
     lambda m: _("Give the proposed new wording of the clause.")),
    (re.compile(r"unknown verdict"), lambda m: _("Choose a verdict.")),
    (re.compile(r"(\d+) of (\d+) clauses have no verdict yet"),
     lambda m: _("The act cannot be finished: %(left)s of %(total)s clauses have no verdict yet.",
                 left=m.group(1), total=m.group(2))),
    (re.compile(r"the comment is empty"), lambda m: _("The comment is empty.")),
    (re.compile(r"the campaign needs a name"), lambda m: _("The campaign needs a name.")),
    (re.compile(r"the deadline (\S+) is before the instruction date (\S+)"),
     lambda m: _("The deadline %(d)s is before the instruction date %(i)s.", d=m.group(1), i=m.group(2))),
    (re.compile(r"not a date: '(.*)' \(expected dd\.mm\.yyyy\)"),
     lambda m: _("Not a date: “%(v)s”. Type it as dd.mm.yyyy.", v=m.group(1))),
    (re.compile(r"the password must have at least (\d+) characters"),
     lambda m: _("The password must have at least %(n)s characters.", n=m.group(1))),
    (re.compile(r"not a valid e-mail address: '(.*)'"),
     lambda m: _("Not a valid e-mail address: %(v)s", v=m.group(1))),
    (re.compile(r"a user with the e-mail (\S+) already exists"),
     lambda m: _("A user with the e-mail %(v)s already exists.", v=m.group(1))),
    (re.compile(r"a user with the role 'agency' needs an agency"),
     lambda m: _("Choose the agency of this user.")),
    (re.compile(r"an agency named '(.*)' already exists"),
     lambda m: _("An agency named “%(v)s” already exists.", v=m.group(1))),
    (re.compile(r"the agency needs a name"), lambda m: _("The agency needs a name.")),
    # import jobs (tracker.jobs) and the parser's refusals (parsers.ParseError)
    (re.compile(r"^imported as act (\d+), a new version of act (\d+)"),
     lambda m: _("imported as act %(a)s, a new version of act %(b)s", a=m.group(1), b=m.group(2))),
    (re.compile(r"^imported as act (\d+)"), lambda m: _("imported as act %(a)s", a=m.group(1))),
    (re.compile(r"^already imported as act (\d+)"), lambda m: _("already imported as act %(a)s", a=m.group(1))),
    (re.compile(r"^interrupted"), lambda m: _("interrupted: the server stopped during the import")),
    (re.compile(r"scanned PDF without a text layer"),
     lambda m: _("Scanned PDF without a text layer: text recognition (OCR) is not supported. "
                 "Upload a PDF with text or the DOCX.")),
    (re.compile(r"^PDF without any text"), lambda m: _("The PDF contains no text.")),
    (re.compile(r"^PDF text layer is unreadable"),
     lambda m: _("The PDF's text layer is unreadable (fonts without a Unicode map). Upload the DOCX or "
                 "another PDF.")),
    (re.compile(r"^encrypted PDF"), lambda m: _("The PDF is protected with a password.")),
    (re.compile(r"password-protected"),
     lambda m: _("The document is password-protected or in the Word 97-2003 format: save it as DOCX.")),
    (re.compile(r"Word 97-2003 binary \(\.doc\)"),
     lambda m: _("The Word 97-2003 format (.doc) is not supported: save the file as DOCX or PDF.")),
    (re.compile(r"OpenDocument \(ODT\)"),
     lambda m: _("The OpenDocument format (ODT) is not supported: save the file as DOCX.")),
    (re.compile(r"^empty file"), lambda m: _("The file is empty.")),
    (re.compile(r"^too large: (\d+) bytes, the limit is (\d+) bytes"),
     lambda m: _("The file is too large: %(a)s bytes, the limit is %(b)s bytes.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^not a (\w+) file: the content is plain text"),
     lambda m: _("Not a %(x)s file: the content is plain text.", x=m.group(1))),
    (re.compile(r"^not a text document"), lambda m: _("Not a text document: the content is binary.")),
    (re.compile(r"^(?:not a Word document|a ZIP archive that is not a Word document)"),
     lambda m: _("Not a Word document.")),
    (re.compile(r"ZIP bomb"), lambda m: _("The archive expands to an excessive size.")),
    # unexpected failures (tracker.importer, tracker.jobs): a sentence for the user; the exception
    # itself is kept apart by `technical_detail` for whoever reports the problem
    (re.compile(r"^cannot be read \("),
     lambda m: _("The file could not be read: the parser met something it does not handle.")),
    (re.compile(r"^extraction failed \("),
     lambda m: _("The act was read, but extracting its requirements failed; it was not stored.")),
    (re.compile(r"^cannot be stored \("), lambda m: _("The act could not be stored; nothing was changed.")),
    (re.compile(r"^cannot be imported \("), lambda m: _("The import failed unexpectedly.")),
    (re.compile(r"^the uploaded file is missing from the store"),
     lambda m: _("The uploaded file is missing from the file store: upload it again.")),
    (re.compile(r"^damaged (?:PDF|DOCX|Word document|ZIP container)(.*)"),
     lambda m: _("The file is damaged%(detail)s.", detail=m.group(1).rstrip("."))),
]


_DETAIL = re.compile(r"^(?:cannot be read|extraction failed|cannot be stored|cannot be imported) \((.+)\)$", re.S)


def technical_detail(message: str) -> str | None:
    """The exception inside an unexpected failure's message ("KeyError: 'x'"), for a bug report."""
    m = _DETAIL.match(message or "")
    return m.group(1) if m else None


def user_message(exc: BaseException | str) -> str:
    """The refusal in the interface language when it is one of tracker's known ones."""
    text = str(exc)
    for pattern, build in _PATTERNS:
        m = pattern.search(text)
        if m:
            return build(m)
    return text
