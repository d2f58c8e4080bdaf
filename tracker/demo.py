"""The embedded default: sample acts, the announced measures, agencies, users, a campaign.

`python -m tracker demo` (run by `bin/run`) calls `load_demo`; running it again adds
nothing that is already there, so a newcomer's data survive a second start.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import sqlite_utils

from tracker import campaigns, users
from tracker.analysis import analyse
from tracker.dates import fmt_date
from tracker.files import db_folder
from tracker.importer import import_paths
from tracker.measures import load_measures, save_measures

DATA = Path(__file__).resolve().parent.parent / "data"
CAMPAIGN = "Пересмотр ведомственных нормативных правовых актов"
# sample file name prefix -> the agency that reviews those acts
AGENCIES = {
    "kz_minjust": "Министерство юстиции Республики Казахстан",
    "kz_mvd": "Министерство внутренних дел Республики Казахстан",
    "kz_minfin": "Министерство финансов Республики Казахстан",
    "kz_astana": "Маслихат города Астаны",
    "by_minenergo": "Министерство энергетики Республики Беларусь",
    "ru_rosstandart": "Федеральное агентство по техническому регулированию и метрологии",
}
STAFF = [("admin@norma.local", "admin"), ("lawyer@norma.local", "lawyer"), ("head@norma.local", "viewer")]


def load_demo(db: sqlite_utils.Database, today: date | None = None) -> Iterator[str]:
    """Load the demo data; yield one line of news per step for the console."""
    measures = load_measures(DATA / "measures.json")
    save_measures(db, measures)
    yield f"measures: {len(measures)} loaded from data/measures.json"

    report = import_paths(db, [DATA / "samples"], extract=analyse, link=True)
    yield (f"sample acts: {len(report.imported) + len(report.versions)} imported, "
           f"{len(report.unchanged)} already there, {len(report.failed)} failed")
    for e in report.failed:
        yield f"  error: {e.path.name}: {e.reason}"

    agency_ids = {}
    for prefix, name in AGENCIES.items():
        found = users.find_agency(db, name)
        agency_ids[prefix] = found["id"] if found else users.create_agency(db, name)

    known = {u["email"] for u in users.list_users(db)}
    created: list[tuple[str, str, str]] = []
    for email, role in STAFF:
        if email not in known:
            password = secrets.token_urlsafe(9)
            users.create_user(db, email, password, role, name=email.split("@")[0])
            created.append((email, role, password))
    for prefix, agency_id in agency_ids.items():
        email = f"{prefix.replace('_', '-')}@norma.local"
        if email not in known:
            password = secrets.token_urlsafe(9)
            users.create_user(db, email, password, "agency", agency_id=agency_id, name=AGENCIES[prefix])
            created.append((email, "agency", password))
    if created:
        path = _remember(db, created)
        yield f"users created (passwords also in {path}):"
        for email, role, password in created:
            yield f"  {email:34} {role:7} {password}"
    else:
        yield "users: already there (passwords in demo-users.txt beside the database)"

    existing = [c for c in campaigns.list_campaigns(db) if c["name"] == CAMPAIGN]
    if existing:
        yield f"campaign: «{CAMPAIGN}» already there"
        return
    cid = campaigns.create_campaign(db, CAMPAIGN, today or date.today(), country="KZ",
                                    measure_ids=[m.id for m in measures])
    by_agency: dict[int, list[int]] = {}
    for row in db.query("SELECT a.id, f.name FROM acts a JOIN files f ON f.sha256 = a.file_sha256"):
        prefix = next((p for p in AGENCIES if row["name"].startswith(p)), None)
        if prefix:
            by_agency.setdefault(agency_ids[prefix], []).append(row["id"])
    for agency_id, act_ids in by_agency.items():
        campaigns.assign_acts(db, cid, agency_id, act_ids, user=None)
    camp = campaigns.get_campaign(db, cid)
    yield (f"campaign: «{CAMPAIGN}», deadline {fmt_date(camp['deadline'])}, "
           f"{sum(len(v) for v in by_agency.values())} acts assigned to {len(by_agency)} agencies")


def _remember(db: sqlite_utils.Database, created: list[tuple[str, str, str]]) -> Path:
    path = db_folder(db) / "demo-users.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        for email, role, password in created:
            f.write(f"{email}\t{role}\t{password}\n")
    return path
