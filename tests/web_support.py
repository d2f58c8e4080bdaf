"""A small world for the web tests: two agencies, a user of every role, real acts, campaigns.

Built once per test session (password hashing and the first lemmatisation are the slow
parts) and copied for each test, so tests that write cannot disturb one another.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tracker.db import open_db

FIXTURES = Path(__file__).parent / "fixtures"
KZ_107_MD = FIXTURES / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md"
KZ_107_DOCX = FIXTURES / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.docx"
RU_146 = FIXTURES / "ru_pravitelstvo_2019_146_pravila_goskontrolya.txt"
SCAN_PDF = FIXTURES / "ru_rosstandart_2016_2033_prikaz_SCAN.pdf"
PASSWORD = "correct-horse-1"
ROLES = ("admin", "lawyer", "viewer", "agency_a", "agency_b")
INSTRUCTION = date(2025, 3, 3)


@dataclass
class World:
    folder: Path
    db_path: Path
    users: dict[str, dict] = field(default_factory=dict)    # role key -> {"id", "email"}
    agency_a: int = 0
    agency_b: int = 0
    act_a: int = 0          # assigned to agency A in both campaigns
    act_b: int = 0          # assigned to agency B in campaign 1 only
    campaign: int = 0       # campaign 1: act_a -> A, act_b -> B
    campaign_a_only: int = 0  # campaign 2: act_a -> A only
    uid_a: str = ""         # a clause of act_a
    uid_b: str = ""         # a clause of act_b
    measure: str = "M14"    # a measure with a proposed link on uid_a

    def email(self, role: str) -> str:
        return self.users[role]["email"]


def build_world(folder: Path) -> World:
    """Create the database in `folder` (users, agencies, two acts, two campaigns, a link)."""
    from tracker.campaigns import assign_acts, clause_units, create_campaign
    from tracker.importer import import_paths
    from tracker.links import store_proposals
    from tracker.measures import Measure, save_measures
    from tracker.users import create_agency, create_user

    folder.mkdir(parents=True, exist_ok=True)
    w = World(folder=folder, db_path=folder / "norma.db")
    db = open_db(w.db_path)
    try:
        w.agency_a = create_agency(db, "Министерство юстиции")
        w.agency_b = create_agency(db, "Министерство финансов")
        for key, role, agency in (("admin", "admin", None), ("lawyer", "lawyer", None),
                                  ("viewer", "viewer", None), ("agency_a", "agency", w.agency_a),
                                  ("agency_b", "agency", w.agency_b)):
            email = f"{key}@norma.test"
            uid = create_user(db, email, PASSWORD, role, agency_id=agency, name=key.replace("_", " ").title())
            w.users[key] = {"id": uid, "email": email}
        report = import_paths(db, [KZ_107_MD, RU_146])
        w.act_a, w.act_b = (e.act_id for e in report.imported)
        save_measures(db, [Measure(id="M13", ru="Упрощение процедур", en="Simplify procedures"),
                           Measure(id="M14", ru="Сокращение сроков принятия решений",
                                   en="Reduce decision-making times")])
        lawyer = {"id": w.users["lawyer"]["id"], "role": "lawyer", "email": w.email("lawyer")}
        w.campaign = create_campaign(db, "Дебюрократизация 2025", INSTRUCTION, country="KZ",
                                     measure_ids=["M13", "M14"], created_by=lawyer)
        w.campaign_a_only = create_campaign(db, "Только юстиция", INSTRUCTION, country="KZ",
                                            created_by=lawyer)
        assign_acts(db, w.campaign, w.agency_a, [w.act_a], user=lawyer)
        assign_acts(db, w.campaign, w.agency_b, [w.act_b], user=lawyer)
        assign_acts(db, w.campaign_a_only, w.agency_a, [w.act_a], user=lawyer)
        w.uid_a = clause_units(db, w.act_a)[0]["uid"]
        w.uid_b = clause_units(db, w.act_b)[0]["uid"]
        store_proposals(db, w.act_a, {w.uid_a: [{"id": "M14", "score": 0.8, "why": "срок"}]})
    finally:
        db.close()
    return w


def copy_world(template: World, folder: Path) -> World:
    """A private copy of the template's database (SQLite's backup API: WAL-safe) and blobs."""
    folder.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(template.db_path)
    dst = sqlite3.connect(folder / "norma.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    if (template.folder / "files").exists():
        shutil.copytree(template.folder / "files", folder / "files")
    w = World(**{**template.__dict__, "folder": folder, "db_path": folder / "norma.db"})
    return w


def make_app(world: World, **config):
    """The app over the world's database: testing mode, no worker thread, CSRF off unless asked."""
    from web import create_app

    settings = {"DATABASE": str(world.db_path), "INSTANCE_DIR": str(world.folder), "TESTING": True,
                "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False, "START_WORKER": False}
    settings.update(config)
    return create_app(settings)


def login(client, world: World, role: str):
    """Log the client in as the world's user with this role key; returns the response."""
    resp = client.post("/login", data={"email": world.email(role), "password": PASSWORD})
    assert resp.status_code == 302, f"login as {role} failed: {resp.status_code}"
    return resp


# --- one template per test process -----------------------------------------------------------

_TEMPLATE: World | None = None


def fresh_world(folder: Path) -> World:
    """A private copy (in `folder`) of a world built once per test process."""
    global _TEMPLATE
    if _TEMPLATE is None:
        base = Path(tempfile.mkdtemp(prefix="norma-web-world-"))
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        _TEMPLATE = build_world(base / "template")
    return copy_world(_TEMPLATE, folder)


def act_as(client, world: World, role: str) -> None:
    """Put the user in the client's session directly (as Flask-Login does after a login).

    Checking a password costs ~0.1 s (scrypt); the role x route matrix would spend most of
    its time there. The login form itself is tested in test_web_app.py.
    """
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(world.db_path, world.users[role]["id"])
        session["_fresh"] = True


def session_user_id(db_path: Path, user_id: int) -> str:
    """What Flask-Login keeps in the session for this user (web.core.User.get_id)."""
    from tracker.users import credential_stamp

    db = open_db(db_path)
    try:
        return f"{user_id}:{credential_stamp(db, user_id)}"
    finally:
        db.close()


# --- `python -m tracker serve` as a real process ------------------------------------------------


@contextlib.contextmanager
def serving(*args: str, instance: Path) -> Iterator[str]:
    """Run `python -m tracker serve ARGS` and yield the line it prints first (its address)."""
    env = dict(os.environ, NORMA_INSTANCE=str(instance), NORMA_SECRET_KEY="serve-test")
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "serve", *args],
                            cwd=Path(__file__).resolve().parent.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(15)


def login_page(port: int | str, *, wait: float = 30) -> str:
    """GET /login on 127.0.0.1:PORT, retrying while the server starts; the page's text."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as resp:
                assert resp.status == 200
                return resp.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
