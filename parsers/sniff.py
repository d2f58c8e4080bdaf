"""Decide a file's real type from its bytes, not its name.

A `.docx` that is really a PDF is read as a PDF; a `.pdf` that is a ZIP is
refused with a reason. Extensions only choose between the text formats, which
bytes cannot tell apart (TXT and Markdown).
"""
from __future__ import annotations

import io
import zipfile

from parsers.errors import ParseError

TEXT_EXT = {".txt": "txt", ".md": "md", ".markdown": "md", ".htm": "html", ".html": "html",
            ".rtf": "rtf", "": "txt"}


def sniff(data: bytes, ext: str) -> str:
    """Return one of docx, pdf, html, md, txt, rtf; raise ParseError otherwise."""
    ext = ext.lower()
    if not data or not data.strip(b"\x00 \t\r\n\xef\xbb\xbf\xff\xfe"):
        raise ParseError("empty file")
    head = data[:1024]
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile as exc:
            raise ParseError(f"damaged ZIP container ({exc})") from None
        if "word/document.xml" in names:
            return "docx"
        if "content.xml" in names:
            raise ParseError("OpenDocument (ODT) is not supported: save it as DOCX")
        raise ParseError("a ZIP archive that is not a Word document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError("Word 97-2003 binary (.doc) is not supported: save it as DOCX or PDF")
    if head.startswith(b"{\\rtf"):
        return "rtf"
    text_head = _decode_head(head)
    if text_head is None:
        raise ParseError(f"not a text document (binary content behind the {ext or 'missing'} extension)")
    low = text_head.lstrip().lower()
    if ext in (".htm", ".html") or low.startswith(("<!doctype html", "<html", "<?xml")) and "<html" in low:
        return "html"
    if ext in (".docx", ".pdf", ".doc"):
        raise ParseError(f"not a {ext[1:].upper()} file: the content is plain text")
    return TEXT_EXT.get(ext, "txt")


def _decode_head(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut by the 1 KiB window
            return head[: exc.start].decode("utf-8")
    if head.count(b"\x00") > len(head) // 20:
        return None
    try:
        return head.decode("cp1251")
    except UnicodeDecodeError:
        return None
