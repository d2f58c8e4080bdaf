"""Shared set-up for the review campaign tests: a database with real acts, agencies and users."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from tracker.campaigns import assign_acts, clause_units, create_campaign
from tracker.db import open_db
from tracker.importer import import_paths
from tracker.users import create_agency, create_user, get_user

FIXTURES = Path(__file__).parent / "fixtures"
KZ_107 = FIXTURES / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md"
KZ_1010 = FIXTURES / "kz_minjust_2023_1010_pravila_aktualizaciya_naimenovaniya_yul_rus.md"
KZ_ALMATY = FIXTURES / "kz_almaty_obl_maslihat_2019_0828_pravila_pogrebeniya_kaz.md"
EAEU_161 = FIXTURES / "eaeu_eek_2016_161_poryadok_vzaimnogo_predostavleniya.html"
PASSWORD = "correct horse battery"


def import_act(db: sqlite_utils.Database, path: Path) -> int:
    entry = import_paths(db, [path]).entries[0]
    assert entry.act_id is not None, entry.reason
    return entry.act_id


@dataclass
class World:
    """One campaign: act `a1` assigned to agency A, act `a2` to agency B, and a user per role."""

    db: sqlite_utils.Database
    cid: int
    a1: int
    a2: int
    agency_a: int
    agency_b: int
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None  # the database file, where a test copies it

    def clauses(self, act_id: int) -> list[str]:
        return [u["uid"] for u in clause_units(self.db, act_id)]


def make_world(tmp_path: Path, *, instruction: date = date(2025, 3, 3), country: str = "KZ") -> World:
    db = open_db(tmp_path / "norma.db")
    agency_a = create_agency(db, "Министерство юстиции", email="mj@example.kz")
    agency_b = create_agency(db, "Министерство финансов")
    ids = {
        "admin": create_user(db, "admin@example.kz", PASSWORD, "admin", name="Админ"),
        "lawyer": create_user(db, "lawyer@example.kz", PASSWORD, "lawyer", name="Юрист"),
        "viewer": create_user(db, "viewer@example.kz", PASSWORD, "viewer"),
        "agency_a": create_user(db, "a@example.kz", PASSWORD, "agency", agency_id=agency_a),
        "agency_b": create_user(db, "b@example.kz", PASSWORD, "agency", agency_id=agency_b),
    }
    users = {role: get_user(db, uid) for role, uid in ids.items()}
    a1, a2 = import_act(db, KZ_107), import_act(db, KZ_1010)
    cid = create_campaign(db, "Регуляторная гильотина", instruction, country=country,
                          created_by=users["lawyer"])
    assign_acts(db, cid, agency_a, [a1], user=users["lawyer"])
    assign_acts(db, cid, agency_b, [a2], user=users["lawyer"])
    return World(db, cid, a1, a2, agency_a, agency_b, users)
