"""Import jobs: an upload is queued, a worker thread imports it, a bad file fails with the parser's reason."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from parsers import ParseError, parse_bytes
from tests.review_setup import KZ_107, KZ_1010, PASSWORD
from tracker import jobs as jobs_mod
from tracker.acts import get_act, list_acts
from tracker.db import open_db
from tracker.files import blob_path
from tracker.jobs import enqueue_import, fail_stale, job, jobs_for_user, run_pending, start_worker
from tracker.users import create_user


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "instance" / "norma.db"


@pytest.fixture
def db(db_path):
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def uid(db):
    return create_user(db, "lawyer@example.kz", PASSWORD, "lawyer")


def test_a_queued_upload_is_imported_under_its_original_name(db, db_path, uid):
    job_id = enqueue_import(db_path, "C:\\Users\\aigerim\\Правила выписки.md", KZ_107.read_bytes(), user_id=uid)
    queued = job(db, job_id)
    assert (queued["status"], queued["filename"], queued["act_id"]) == ("queued", "Правила выписки.md", None)
    assert list_acts(db) == []

    assert run_pending(db) == [job_id]
    done = job(db, job_id)
    assert done["status"] == "done" and done["act_id"] is not None
    assert done["message"] == f"imported as act {done['act_id']}"
    act = get_act(db, done["act_id"])
    assert (act["file_name"], act["number"]) == ("Правила выписки.md", "107")


def test_a_bad_file_fails_with_the_parsers_reason_and_the_queue_goes_on(db, db_path, uid):
    bad = b"PK\x03\x04 this is not really a Word document"
    with pytest.raises(ParseError) as parser_says:
        parse_bytes(bad, "prikaz.docx")
    bad_id = enqueue_import(db_path, "prikaz.docx", bad, user_id=uid)
    good_id = enqueue_import(db_path, KZ_1010.name, KZ_1010.read_bytes(), user_id=uid)
    assert run_pending(db) == [bad_id, good_id]  # in the order they were queued
    failed = job(db, bad_id)
    assert (failed["status"], failed["message"], failed["act_id"]) == ("failed", str(parser_says.value), None)
    assert job(db, good_id)["status"] == "done"
    assert len(list_acts(db)) == 1


def test_the_same_file_twice_is_reported_as_already_imported(db, db_path, uid):
    first = enqueue_import(db_path, "a.md", KZ_107.read_bytes(), user_id=uid)
    second = enqueue_import(db_path, "b.md", KZ_107.read_bytes(), user_id=uid)
    run_pending(db)
    act_id = job(db, first)["act_id"]
    assert (job(db, second)["status"], job(db, second)["message"]) == ("done", f"already imported as act {act_id}")
    assert job(db, second)["act_id"] == act_id


def test_a_file_over_the_limit_fails_at_once_without_being_stored(db, db_path, uid, monkeypatch):
    monkeypatch.setattr(jobs_mod, "MAX_BYTES", 100)
    job_id = enqueue_import(db_path, "huge.pdf", b"%PDF" + b"0" * 200, user_id=uid)
    row = job(db, job_id)
    assert row["status"] == "failed" and row["message"].startswith("too large: 204 bytes")
    assert run_pending(db) == []


def test_a_missing_upload_fails_the_job_instead_of_the_worker(db, db_path, uid):
    job_id = enqueue_import(db_path, "a.md", KZ_107.read_bytes(), user_id=uid)
    blob_path(db, job(db, job_id)["file_sha256"]).unlink()
    run_pending(db)
    assert (job(db, job_id)["status"], job(db, job_id)["message"]) == (
        "failed", "the uploaded file is missing from the store")


def test_each_user_sees_their_own_jobs_newest_first(db, db_path, uid):
    other = create_user(db, "other@example.kz", PASSWORD, "lawyer")
    mine = [enqueue_import(db_path, f"{n}.md", KZ_107.read_bytes(), user_id=uid) for n in range(3)]
    theirs = enqueue_import(db_path, "x.md", KZ_1010.read_bytes(), user_id=other)
    assert [j["id"] for j in jobs_for_user(db, uid)] == mine[::-1]
    assert [j["id"] for j in jobs_for_user(db, other)] == [theirs]


def test_a_job_left_running_by_a_dead_process_is_marked_failed(db, db_path, uid):
    job_id = enqueue_import(db_path, "a.md", KZ_107.read_bytes(), user_id=uid)
    db.execute("UPDATE jobs SET status = 'running', started_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", [job_id])
    db.commit()
    assert fail_stale(db, older_than=timedelta(hours=1)) == 1
    assert job(db, job_id)["status"] == "failed" and "interrupted" in job(db, job_id)["message"]


def wait_for(db, job_id: int, limit_s: float = 60.0) -> dict:
    """Poll until the job has finished (a generous limit only guards against a hang)."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        row = job(db, job_id)
        if row["status"] in ("done", "failed"):
            return row
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {row['status']}")


def test_the_worker_thread_imports_queued_files_and_stops(db, db_path, uid):
    worker = start_worker(db_path, poll_seconds=0.1)
    try:
        good = enqueue_import(db_path, KZ_107.name, KZ_107.read_bytes(), user_id=uid)
        bad = enqueue_import(db_path, "empty.txt", b"", user_id=uid)
        assert wait_for(db, good)["status"] == "done"
        failed = wait_for(db, bad)
        assert failed["status"] == "failed" and failed["message"]
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert get_act(db, job(db, good)["act_id"])["number"] == "107"


def test_an_upload_analysed_by_the_worker_carries_facts_burden_and_proposed_links(db, db_path, uid):
    from tracker.analysis import analyse
    from tracker.measures import load_measures, save_measures

    save_measures(db, load_measures(Path(__file__).parent.parent / "data" / "measures.json"))
    job_id = enqueue_import(db_path, "pravila.md", KZ_107.read_bytes(), user_id=uid)
    run_pending(db, extract=analyse)
    act_id = job(db, job_id)["act_id"]
    assert get_act(db, act_id)["burden"]["documents_count"] >= 1
    facts = [u["facts"] for u in db.query("SELECT facts FROM units WHERE act_id = ? AND label = '12.'", [act_id])]
    assert facts and '"working"' in facts[0]  # "в течение пяти рабочих дней"
    linked = {r["measure_id"] for r in db.query("SELECT measure_id FROM measure_links WHERE act_id = ?", [act_id])}
    assert "M14" in linked  # a decision time -> reduce decision times


def test_upload_names_lose_control_characters_and_stay_within_file_system_limits(db, db_path, uid):
    long_name = "Правила " + "я" * 300 + ".md"
    job_id = enqueue_import(db_path, "evil\x00name\n.md", KZ_107.read_bytes(), user_id=uid)
    long_id = enqueue_import(db_path, long_name, KZ_1010.read_bytes(), user_id=uid)
    assert job(db, job_id)["filename"] == "evilname.md"
    kept = job(db, long_id)["filename"]
    assert kept.endswith(".md") and len(kept.encode("utf-8")) <= 200
    run_pending(db)
    assert job(db, job_id)["status"] == job(db, long_id)["status"] == "done"
