"""The embedded default that `bin/run` loads: real acts, measures, people, a campaign."""
from __future__ import annotations

import stat
from datetime import date

from tracker import access, campaigns, users
from tracker.db import open_db
from tracker.demo import load_demo


def test_demo_loads_real_acts_with_facts_links_and_a_campaign_once(tmp_path):
    db = open_db(tmp_path / "norma.db")
    first = list(load_demo(db, today=date(2026, 12, 2)))
    acts = db.execute("SELECT count(*) FROM acts").fetchone()[0]
    assert acts == 8, first
    assert db.execute("SELECT count(*) FROM acts WHERE burden IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM measure_links WHERE status = 'proposed'").fetchone()[0] > 50
    (camp,) = campaigns.list_campaigns(db)
    assert camp["deadline"] == date(2027, 1, 2)  # one calendar month after the instruction

    creds = tmp_path / "demo-users.txt"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    lines = creds.read_text(encoding="utf-8").splitlines()
    email, role, password = lines[-1].split("\t")
    user = users.authenticate(db, email, password)
    assert user and user["role"] == role == "agency"
    visible = access.visible_act_ids(db, user)
    assert visible and len(visible) < acts  # an agency sees its own acts only

    again = list(load_demo(db, today=date(2026, 12, 2)))
    assert db.execute("SELECT count(*) FROM acts").fetchone()[0] == acts
    assert len(campaigns.list_campaigns(db)) == 1
    assert creds.read_text(encoding="utf-8").splitlines() == lines
    assert any("already there" in line for line in again)
