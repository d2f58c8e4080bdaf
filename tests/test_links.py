"""Stored links: a lawyer's decision survives every re-run of the linker; the CLI prints the contract."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from parsers import parse_file
from tracker.audit import history
from tracker.cli import main
from tracker.db import open_db
from tracker.importer import import_file
from tracker.links import decide, link_act, links_for_act, store_proposals

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
KZ_107 = FIXTURES / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md"
MEASURES = ROOT / "data" / "measures.json"


@pytest.fixture
def stored(tmp_path):
    db = open_db(tmp_path / "db" / "norma.db")
    act_id = import_file(db, KZ_107).act_id
    uids = [u.id for u in parse_file(KZ_107).units if u.text][:4]
    yield db, act_id, uids
    db.close()


def status(db, act_id) -> dict[tuple[str, str], tuple[str, float | None]]:
    return {(r["uid"], r["measure_id"]): (r["status"], r["score"]) for r in links_for_act(db, act_id)}


def test_rerun_refreshes_proposals_but_never_touches_decisions(stored):
    db, act_id, (a, b, c, d) = stored
    first = store_proposals(db, act_id, {a: [{"id": "M14", "score": 0.8, "why": "срок"},
                                             {"id": "M15", "score": 0.6, "why": "портал"}],
                                         b: [{"id": "M13", "score": 0.7, "why": "документы"}],
                                         c: [{"id": "M10", "score": 0.9, "why": "запрос"}]})
    assert first["new"] == 4
    decide(db, act_id, a, "M14", "confirmed")
    decide(db, act_id, b, "M13", "rejected")
    decide(db, act_id, d, "M16", "added", why="ответственность руководителя")

    # the next run scores differently, drops some proposals and proposes new ones
    again = store_proposals(db, act_id, {a: [{"id": "M14", "score": 0.3, "why": "другое"}],
                                         b: [{"id": "M13", "score": 0.99, "why": "другое"}],
                                         c: [{"id": "M15", "score": 0.55, "why": "портал"}]})
    after = status(db, act_id)
    assert after[(a, "M14")] == ("confirmed", 0.8)        # the lawyer's decision, untouched
    assert after[(b, "M13")] == ("rejected", 0.7)         # a rejection is not proposed again
    assert after[(d, "M16")] == ("added", None)           # added by hand, kept though never proposed
    assert (a, "M15") not in after and (c, "M10") not in after   # stale proposals withdrawn
    assert after[(c, "M15")] == ("proposed", 0.55)
    assert again == {"new": 1, "refreshed": 0, "withdrawn": 2, "kept_decided": 3}


def test_decisions_go_to_the_audit_trail_and_can_be_undone(stored):
    db, act_id, (a, *_rest) = stored
    store_proposals(db, act_id, {a: [{"id": "M15", "score": 0.8, "why": "портал"}]})
    decide(db, act_id, a, "M15", "rejected")
    row = decide(db, act_id, a, "M15", "proposed")
    assert row["status"] == "proposed" and row["decided_at"] is None
    actions = [h["action"] for h in history(db, act_id=act_id, uid=a)]
    assert actions == ["link_proposed", "link_rejected"]
    # adding by hand a link the linker had proposed confirms it
    assert decide(db, act_id, a, "M15", "added")["status"] == "confirmed"


def test_bad_decisions_are_refused(stored):
    db, act_id, (a, *_rest) = stored
    with pytest.raises(ValueError, match="unknown status"):
        decide(db, act_id, a, "M15", "maybe")
    with pytest.raises(KeyError):
        decide(db, act_id, a, "M15", "confirmed")          # nothing to confirm
    with pytest.raises(KeyError):
        decide(db, act_id, "no-such-unit", "M15", "added")


def test_link_act_stores_proposals_for_a_stored_act(stored):
    db, act_id, _uids = stored
    counts = link_act(db, act_id, json.loads(MEASURES.read_text(encoding="utf-8")))
    rows = links_for_act(db, act_id)
    assert counts["new"] == len(rows) > 0
    assert {r["status"] for r in rows} == {"proposed"}
    assert all(r["why"] for r in rows)
    assert link_act(db, act_id, json.loads(MEASURES.read_text(encoding="utf-8")))["new"] == 0


def test_cli_link_json_follows_the_contract():
    result = CliRunner().invoke(main, ["link", str(KZ_107), "--measures", str(MEASURES), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["file"] == KZ_107.name
    units = data["units"]
    assert all(isinstance(u["measures"], list) for u in units)
    assert all({"modality", "deadlines", "documents", "fee"} <= u.keys() for u in units)
    linked = [u for u in units if u["measures"]]
    assert linked
    known = {m["id"] for m in json.loads(MEASURES.read_text(encoding="utf-8"))}
    for u in linked:
        scores = [m["score"] for m in u["measures"]]
        assert scores == sorted(scores, reverse=True)
        assert all(m["id"] in known and m["why"] for m in u["measures"])


def test_cli_link_refuses_a_bad_measures_file(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text("[{]", encoding="utf-8")
    result = CliRunner().invoke(main, ["link", str(KZ_107), "--measures", str(bad), "--json"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}: not valid JSON")
    assert "Traceback" not in result.output
