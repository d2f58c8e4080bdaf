"""Serving with several processes: `tracker serve` runs gunicorn workers over one database, and
the import jobs each of them polls for are taken by exactly one."""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from tests.review_setup import EAEU_161, KZ_107, KZ_1010, KZ_ALMATY
from tests.web_support import login_page, serving
from tracker import jobs as jobs_mod
from tracker.db import open_db
from tracker.jobs import enqueue_import, job, start_worker

ROOT = Path(__file__).resolve().parent.parent


def test_serve_with_port_0_prints_the_port_its_workers_answer_on(tmp_path):
    with serving("--port", "0", "--workers", "2", "--db", str(tmp_path / "norma.db"), instance=tmp_path) as line:
        match = re.search(r"http://127\.0\.0\.1:(\d+)/ .*2 processes", line)
        assert match, line
        for _ in range(6):  # several requests: whichever worker takes them, each answers
            assert "csrf_token" in login_page(match.group(1))


def test_workers_of_several_processes_never_import_the_same_upload_twice(tmp_path, monkeypatch):
    """Every gunicorn worker runs a job thread; each has its own connection, as separate processes do."""
    db_path = tmp_path / "norma.db"
    db = open_db(db_path)
    taken: list[int] = []
    lock = threading.Lock()
    real_run = jobs_mod._run

    def recording_run(database, row, extract=None):
        with lock:
            taken.append(row["id"])
        time.sleep(0.05)  # keep the job "running" while the other workers look for work
        real_run(database, row, extract)

    monkeypatch.setattr(jobs_mod, "_run", recording_run)
    files = [KZ_107, KZ_1010, KZ_ALMATY, EAEU_161]
    ids = [enqueue_import(db_path, f.name, f.read_bytes(), user_id=None) for f in files]
    workers = [start_worker(db_path, poll_seconds=0.02) for _ in range(3)]
    try:
        end = time.monotonic() + 120
        while any(job(db, i)["status"] in ("queued", "running") for i in ids):
            assert time.monotonic() < end, "jobs did not finish"
            time.sleep(0.05)
    finally:
        for w in workers:
            w.stop()
    assert sorted(taken) == sorted(ids)
    assert [job(db, i)["status"] for i in ids] == ["done"] * len(ids)
    db.close()
