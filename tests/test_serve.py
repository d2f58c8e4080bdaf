"""Serving with several processes: `tracker serve` runs gunicorn workers over one database, spreads
the connections over them, and the import jobs each of them polls for are taken by exactly one."""
from __future__ import annotations

import http.client
import os
import re
import threading
import time
from pathlib import Path

import pytest

from tests.review_setup import EAEU_161, KZ_107, KZ_1010, KZ_ALMATY
from tests.web_support import login_page, serving
from tracker import jobs as jobs_mod
from tracker.db import open_db
from tracker.jobs import enqueue_import, job, start_worker
from tracker.server import FREE, REQUESTS_PER_CONNECTION, BalancedWorker

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


def _port(line: str) -> int:
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert match, line
    return int(match.group(1))


def _connections_per_worker(port: int) -> list[int]:
    """Established connections to the port, per process holding them (Linux /proc), most first."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in list(f)[1:]:
                cols = row.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":  # local port, ESTABLISHED
                    inodes.add(cols[9])
    counts = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        n = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
        if n:
            counts.append(n)
    return sorted(counts, reverse=True)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="counts connections through Linux /proc")
def test_kept_alive_connections_are_spread_evenly_over_the_workers(tmp_path):
    """Each new connection goes to the worker holding fewest: ten users on two workers are five and five."""
    with serving("--port", "0", "--workers", "2", "--db", str(tmp_path / "norma.db"), instance=tmp_path) as line:
        port = _port(line)
        login_page(port)  # the server is up; its connection closed, so that only the users' count
        end = time.monotonic() + 5
        while _connections_per_worker(port) and time.monotonic() < end:
            time.sleep(0.05)
        users = []
        for _ in range(10):  # one after another, each kept open after its first page, as browsers do
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/static/style.css")
            assert conn.getresponse().read()
            users.append(conn)
        time.sleep(0.2)
        try:
            assert _connections_per_worker(port) == [5, 5]
        finally:
            for conn in users:
                conn.close()


def test_a_connection_is_closed_after_so_many_requests_and_the_client_goes_on_on_a_new_one(tmp_path):
    with serving("--port", "0", "--db", str(tmp_path / "norma.db"), instance=tmp_path) as line:
        port = _port(line)
        login_page(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        closing = []
        for _ in range(REQUESTS_PER_CONNECTION):
            conn.request("GET", "/static/style.css")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read()
            closing.append(resp.getheader("Connection") == "close")
        assert closing == [False] * (REQUESTS_PER_CONNECTION - 1) + [True]
        conn.close()
        assert "csrf_token" in login_page(port)


def test_a_worker_accepts_only_while_no_other_holds_fewer_connections():
    worker = BalancedWorker.__new__(BalancedWorker)  # the rule alone, without a running server
    worker.loads = [FREE] * 4
    worker.loads[1] = 3
    worker.slot, worker.nr_conns = 0, 3
    assert worker._may_accept()  # as few as the other: both may take the next one
    assert worker.loads[0] == 3  # and the others now see this worker's count
    worker.nr_conns = 4
    assert not worker._may_accept()
    worker.loads[1] = FREE  # the other worker ended: this one is alone again
    assert worker._may_accept()


def test_served_workers_import_an_upload_waiting_in_the_queue(tmp_path):
    """The app is built before the fork, without a job thread; every worker starts its own after it."""
    db_path = tmp_path / "norma.db"
    db = open_db(db_path)
    job_id = enqueue_import(db_path, KZ_107.name, KZ_107.read_bytes(), user_id=None)
    with serving("--port", "0", "--workers", "2", "--db", str(db_path), instance=tmp_path) as line:
        login_page(_port(line))
        end = time.monotonic() + 120
        while job(db, job_id)["status"] in ("queued", "running"):
            assert time.monotonic() < end, "the upload was not imported"
            time.sleep(0.2)
    assert job(db, job_id)["status"] == "done"
    db.close()
