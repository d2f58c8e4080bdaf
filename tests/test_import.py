"""Importing files and folders: idempotent, versioned, and a bad file never harms the rest."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker import acts as acts_mod
from tracker import importer as importer_mod
from tracker.acts import act_versions, get_act, get_units, list_acts
from tracker.cli import main
from tracker.db import open_db
from tracker.files import get_file, read_blob
from tracker.importer import import_paths

FIXTURES = Path(__file__).parent / "fixtures"
KZ_107 = FIXTURES / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md"
RU_146 = FIXTURES / "ru_pravitelstvo_2019_146_pravila_goskontrolya.txt"


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "db" / "norma.db")
    yield database
    database.close()


@pytest.fixture
def acts_dir(tmp_path) -> Path:
    folder = tmp_path / "acts"
    folder.mkdir()
    for f in (KZ_107, RU_146):
        shutil.copy(f, folder / f.name)
    return folder


def counts(db) -> dict[str, int]:
    return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("files", "acts", "units", "units_fts")}


def statuses(report) -> dict[str, str]:
    return {e.path.name: e.status for e in report.entries}


def test_importing_the_same_bytes_again_changes_nothing(db, acts_dir, tmp_path):
    first = import_paths(db, [acts_dir])
    assert statuses(first) == {KZ_107.name: "imported", RU_146.name: "imported"}
    before = counts(db)
    assert before["acts"] == 2 and before["units"] > 100

    again = import_paths(db, [acts_dir])
    renamed = tmp_path / "renamed.md"
    shutil.copy(KZ_107, renamed)
    third = import_paths(db, [renamed])
    assert statuses(again) == {KZ_107.name: "unchanged", RU_146.name: "unchanged"}
    assert third.entries[0].status == "unchanged"
    assert third.entries[0].act_id == first.entries[0].act_id
    assert counts(db) == before


def test_a_changed_file_of_the_same_act_is_kept_as_a_linked_version(db, tmp_path):
    old = import_paths(db, [KZ_107]).entries[0]
    text = KZ_107.read_text(encoding="utf-8")
    assert "20 (двадцати) минут" in text
    amended = tmp_path / "kz_107_amended.md"
    amended.write_text(text.replace("20 (двадцати) минут", "30 (тридцати) минут"), encoding="utf-8")

    new = import_paths(db, [amended]).entries[0]
    assert new.status == "version" and new.version_of == old.act_id
    assert get_act(db, new.act_id)["version_of"] == old.act_id
    assert [v["id"] for v in act_versions(db, old.act_id)] == [old.act_id, new.act_id]
    assert {a["id"]: a["is_latest"] for a in list_acts(db)} == {old.act_id: False, new.act_id: True}
    old_texts = " ".join(u["text"] for u in get_units(db, old.act_id))
    new_texts = " ".join(u["text"] for u in get_units(db, new.act_id))
    assert "20 (двадцати) минут" in old_texts and "30 (тридцати) минут" in new_texts


def test_a_bad_file_is_reported_and_the_rest_of_the_batch_imported(db, acts_dir):
    (acts_dir / "empty.txt").write_bytes(b"")
    (acts_dir / "fake.docx").write_text("plain text, not a Word file", encoding="utf-8")
    os.mkfifo(acts_dir / "pipe.txt")  # reading it would block forever
    report = import_paths(db, [acts_dir, acts_dir / "missing.pdf"])
    assert statuses(report) == {
        "empty.txt": "failed", "fake.docx": "failed", "missing.pdf": "failed", "pipe.txt": "failed",
        KZ_107.name: "imported", RU_146.name: "imported",
    }
    reasons = {e.path.name: e.reason for e in report.failed}
    assert reasons["empty.txt"] == "empty file"
    assert "not a DOCX" in reasons["fake.docx"]
    assert reasons["missing.pdf"] == "no such file or folder"
    assert reasons["pipe.txt"] == "not a regular file"
    assert counts(db)["acts"] == 2 and counts(db)["files"] == 2


def test_a_storage_failure_midway_leaves_the_database_as_it_was(db, acts_dir, monkeypatch):
    kept = import_paths(db, [acts_dir / RU_146.name])
    before = counts(db)
    real_index = acts_mod._index_units
    seen: dict[str, int] = {}

    def index_or_fail(database, act_id, units):
        units = list(units)
        if any("залог" in u.text for u in units):  # only the KZ act fails, after its units are in
            seen["units_written"] = database.execute(
                "SELECT COUNT(*) FROM units WHERE act_id = ?", [act_id]).fetchone()[0]
            raise RuntimeError("disk I/O error")
        real_index(database, act_id, units)

    monkeypatch.setattr(acts_mod, "_index_units", index_or_fail)
    extra = acts_dir / "sub" / "copy_of_146_changed.txt"
    extra.parent.mkdir()
    extra.write_text(RU_146.read_text(encoding="utf-8") + "\nДополнение.", encoding="utf-8")
    report = import_paths(db, [acts_dir])

    assert statuses(report) == {KZ_107.name: "failed", RU_146.name: "unchanged",
                                "copy_of_146_changed.txt": "version"}
    assert seen["units_written"] > 10
    assert report.failed[0].reason == "cannot be stored (RuntimeError: disk I/O error)"
    after = counts(db)
    assert after["acts"] == before["acts"] + 1
    assert get_file(db, hashlib.sha256(KZ_107.read_bytes()).hexdigest()) is None
    kz_rows = db.execute("SELECT COUNT(*) FROM units WHERE text LIKE '%залог%'").fetchone()[0]
    assert kz_rows == 0
    assert kept.entries[0].act_id in {a["id"] for a in list_acts(db)}


def test_a_parser_crash_fails_only_that_file(db, acts_dir, monkeypatch):
    real_parse = importer_mod.parse_bytes

    def parse_or_crash(data, name):
        if name == KZ_107.name:
            raise ValueError("unexpected table layout")
        return real_parse(data, name)

    monkeypatch.setattr(importer_mod, "parse_bytes", parse_or_crash)
    report = import_paths(db, [acts_dir])
    assert statuses(report) == {KZ_107.name: "failed", RU_146.name: "imported"}
    assert report.failed[0].reason == "cannot be read (ValueError: unexpected table layout)"
    assert counts(db)["acts"] == 1


def test_the_stored_file_is_the_uploaded_bytes(db):
    entry = import_paths(db, [KZ_107]).entries[0]
    act = get_act(db, entry.act_id)
    data = read_blob(db, act["file_sha256"])
    assert data == KZ_107.read_bytes()
    assert hashlib.sha256(data).hexdigest() == act["file_sha256"]
    row = get_file(db, act["file_sha256"])
    assert (row["name"], row["size"], row["format"]) == (KZ_107.name, len(data), "md")


def test_folders_are_searched_recursively_and_unknown_types_skipped(db, acts_dir):
    nested = acts_dir / "2020" / "june"
    nested.mkdir(parents=True)
    shutil.move(acts_dir / KZ_107.name, nested / KZ_107.name)
    (nested / "scan.jpg").write_bytes(b"\xff\xd8\xff")
    (nested / "~$lock.docx").write_bytes(b"x")
    hidden = acts_dir / ".git"
    hidden.mkdir()
    (hidden / "ignored.txt").write_text("x")
    progress: list[tuple[int, int, str]] = []
    report = import_paths(db, [acts_dir], on_progress=lambda d, t, p: progress.append((d, t, p.name)))
    assert statuses(report) == {KZ_107.name: "imported", RU_146.name: "imported",
                                "scan.jpg": "skipped", "~$lock.docx": "skipped"}
    assert [(d, t) for d, t, _ in progress] == [(1, 2), (2, 2)]


def test_extraction_hook_stores_facts_with_the_act(db, acts_dir):
    def extract(act):
        return {act.units[0].id: {"modality": "none"}}, {"steps": len(act.units)}

    entry = import_paths(db, [acts_dir / KZ_107.name], extract=extract).entries[0]
    units = get_units(db, entry.act_id)
    assert units[0]["facts"] == {"modality": "none"} and units[1]["facts"] is None
    assert get_act(db, entry.act_id)["burden"] == {"steps": len(units)}

    def broken(act):
        raise KeyError("modality")

    before = counts(db)
    failed = import_paths(db, [acts_dir / RU_146.name], extract=broken).entries[0]
    assert failed.status == "failed" and failed.reason.startswith("extraction failed (KeyError")
    assert counts(db) == before


# --- the command line ---------------------------------------------------------------------


def test_cli_import_prints_a_summary_and_one_error_line_per_bad_file(tmp_path, acts_dir):
    bad = acts_dir / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    db_file = tmp_path / "cli.db"
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(acts_dir), str(empty), "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    assert "2 imported, 0 unchanged, 0 new versions, 2 failed" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    assert f"error: {empty}: empty file" in errors
    assert any(line.startswith(f"error: {bad}: ") for line in errors)
    assert "Traceback" not in result.output

    again = runner.invoke(main, ["import", str(acts_dir / KZ_107.name), "--db", str(db_file)])
    assert again.exit_code == 0
    assert "0 imported, 1 unchanged, 0 new versions, 0 failed" in again.stdout

    listed = runner.invoke(main, ["acts", "--db", str(db_file), "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert sorted(r["file_name"] for r in rows) == sorted([KZ_107.name, RU_146.name])
    text = runner.invoke(main, ["acts", "--db", str(db_file)])
    assert "приказ № 107 от 2020-06-19" in text.stdout


def test_cli_import_exits_2_when_every_file_failed(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["import", str(empty), str(tmp_path / "nope.docx"),
                                       "--db", str(tmp_path / "cli.db")])
    assert result.exit_code == 2
    assert "0 imported, 0 unchanged, 0 new versions, 2 failed" in result.stdout
    assert f"error: {empty}: empty file" in result.stderr
    assert f"error: {tmp_path / 'nope.docx'}: no such file or folder" in result.stderr


def test_cli_reports_a_file_that_is_not_a_database(tmp_path):
    not_db = tmp_path / "notes.db"
    not_db.write_text("just some text, certainly not SQLite " * 50)
    result = CliRunner().invoke(main, ["acts", "--db", str(not_db)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {not_db}: cannot open the database")
