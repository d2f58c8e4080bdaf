"""Bad input ends in `error: FILE: reason` and exit status 2, never a traceback."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main

FIX = Path(__file__).parent / "fixtures"


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.docx", b"", "empty file"),
        ("blank.txt", b"  \n\n \xef\xbb\xbf", "empty file"),
        ("text.docx", "Приказ № 1".encode(), "not a DOCX file"),
        ("fake.pdf", "Просто текст".encode(), "not a PDF file"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Word 97-2003"),
        ("image.pdf", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary content"),
    ],
)
def test_refused_files_get_a_reason_and_status_2(tmp_path, name, content, reason):
    f = tmp_path / name
    f.write_bytes(content)
    res = _run("parse", str(f), "--json")
    assert res.exit_code == 2
    assert res.output.strip().startswith(f"error: {f}: ")
    assert reason in res.output
    assert "Traceback" not in res.output


def test_zip_that_is_not_a_word_document(tmp_path):
    f = tmp_path / "archive.docx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("readme.txt", "hello")
    res = _run("parse", str(f))
    assert res.exit_code == 2 and "not a Word document" in res.output


def test_missing_file(tmp_path):
    res = _run("parse", str(tmp_path / "nope.pdf"))
    assert res.exit_code == 2 and "cannot read file" in res.output


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    from parsers import ParseError, parse_file

    f = tmp_path / "big.txt"
    f.write_text("1. Пункт.\n" * 1000, encoding="utf-8")
    with pytest.raises(ParseError, match="too large"):
        parse_file(f, max_bytes=1000)


def test_parse_json_follows_the_contract():
    res = _run("parse", str(FIX / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md"), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    for key in ("file", "format", "language", "title", "act_type", "number", "date", "issuer", "units", "warnings"):
        assert key in data
    assert data["format"] == "md"
    unit = data["units"][0]
    assert set(unit) >= {"id", "parent", "kind", "label", "text", "page"}
    kinds = {"chapter", "section", "article", "paragraph", "subparagraph", "item", "appendix",
             "table", "table_row", "text"}
    assert {u["kind"] for u in data["units"]} <= kinds
