"""Each agency's own search index: the same clauses as the full index, never another agency's,
current only while it holds exactly the agency's assigned acts, kept up to date by the job thread."""
from __future__ import annotations

import re
import sqlite3
import time

import pytest

from tests.review_setup import EAEU_161, World, import_act, make_world
from tests.web_support import act_as, fresh_world, make_app
from tracker.acts import search_units
from tracker.campaigns import assign_acts, unassign_act
from tracker.db import open_db
from tracker.jobs import start_worker
from tracker.search_index import current_index, refresh, refresh_stale, search, stale, table_name

QUERIES = ["заявление", "регистрация", "уведомления", "наименование юридического лица", "срок", "отсутствующее"]


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


def found(results) -> set[tuple[int, str]]:
    return {(r["act_id"], r["uid"]) for r in results}


def test_an_agency_index_finds_exactly_what_the_full_index_finds_in_its_acts(world):
    assert set(refresh_stale(world.db)) == {world.agency_a, world.agency_b}
    assert current_index(world.db, world.agency_a, {world.a1}) == table_name(world.agency_a)
    units = world.db.execute("SELECT COUNT(*) FROM units WHERE act_id = ?", [world.a1]).fetchone()[0]
    held = world.db.execute("SELECT units FROM agency_search_indexes WHERE agency_id = ?",
                            [world.agency_a]).fetchone()[0]
    assert held == units  # every clause of the act, nothing else
    hits = 0
    for q in QUERIES:
        own = search_units(world.db, q, act_ids={world.a1}, limit=1000, within=table_name(world.agency_a))
        full = search_units(world.db, q, act_ids={world.a1}, limit=1000)
        assert found(own) == found(full), q
        assert {r["act_id"] for r in own} <= {world.a1}
        hits += len(own)
    assert hits > 20  # the queries do find clauses in this real act


def test_a_search_uses_the_agency_index_only_while_it_holds_exactly_the_agencys_acts(world, monkeypatch):
    from tracker import search_index

    searched_in = []

    def spy(*args, **kw):
        searched_in.append(kw.get("within"))
        return search_units(*args, **kw)

    monkeypatch.setattr(search_index, "search_units", spy)
    refresh_stale(world.db)
    eaeu = import_act(world.db, EAEU_161)
    assign_acts(world.db, world.cid, world.agency_a, [eaeu], user=None)
    mine = {world.a1, eaeu}
    assert stale(world.db) == [world.agency_a]
    assert current_index(world.db, world.agency_a, mine) is None  # stale: the full index is searched
    before = search(world.db, "документ", agency_id=world.agency_a, act_ids=mine, limit=1000)
    assert {r["act_id"] for r in before} == mine  # the new act is found at once
    assert refresh(world.db, world.agency_a) and not refresh(world.db, world.agency_a)
    assert current_index(world.db, world.agency_a, mine) == table_name(world.agency_a)
    after = search(world.db, "документ", agency_id=world.agency_a, act_ids=mine, limit=1000)
    assert found(after) == found(before)
    assert searched_in == [None, table_name(world.agency_a)]

    unassign_act(world.db, world.cid, eaeu, user=None)  # the index still holds it, until refreshed
    assert current_index(world.db, world.agency_a, {world.a1}) is None
    now = search(world.db, "документ", agency_id=world.agency_a, act_ids={world.a1}, limit=1000)
    assert now and {r["act_id"] for r in now} == {world.a1}
    assert searched_in[-1] is None


def test_an_agency_left_without_acts_loses_its_index(world):
    refresh_stale(world.db)
    unassign_act(world.db, world.cid, world.a2, user=None)
    assert refresh_stale(world.db) == [world.agency_b]
    assert world.db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = ?",
                            [table_name(world.agency_b)]).fetchone()[0] == 0
    assert [r[0] for r in world.db.execute("SELECT agency_id FROM agency_search_indexes")] == [world.agency_a]
    assert search(world.db, "заявление", agency_id=world.agency_b, act_ids=set()) == []
    assert stale(world.db) == []


def test_an_index_name_that_is_not_an_agency_index_is_refused(world):
    with pytest.raises(ValueError):
        search_units(world.db, "заявление", act_ids={world.a1}, within="units; DROP TABLE acts")


def test_the_job_thread_brings_stale_agency_indexes_up_to_date(world, tmp_path):
    def settled() -> bool:
        deadline = time.monotonic() + 30
        while stale(world.db) and time.monotonic() < deadline:
            time.sleep(0.05)
        return stale(world.db) == []

    assert stale(world.db) == [world.agency_a, world.agency_b]
    worker = start_worker(tmp_path / "norma.db", poll_seconds=0.05)
    try:
        assert settled()
        assert current_index(world.db, world.agency_b, {world.a2}) == table_name(world.agency_b)
        eaeu = import_act(world.db, EAEU_161)  # assigned while the thread runs: noticed and rebuilt
        assign_acts(world.db, world.cid, world.agency_a, [eaeu], user=None)
        assert settled()
        assert current_index(world.db, world.agency_a, {world.a1, eaeu}) == table_name(world.agency_a)
    finally:
        worker.stop()


def test_an_agency_whose_index_cannot_be_built_does_not_hold_up_the_others(world, monkeypatch, caplog):
    from tracker import search_index

    real = search_index.refresh

    def broken_for_a(db, agency_id):
        if agency_id == world.agency_a:
            raise sqlite3.OperationalError("disk I/O error")
        return real(db, agency_id)

    monkeypatch.setattr(search_index, "refresh", broken_for_a)
    assert refresh_stale(world.db, limit=1) == [world.agency_b]
    assert "cannot be rebuilt" in caplog.text
    assert stale(world.db) == [world.agency_a]
    mine = search(world.db, "заявление", agency_id=world.agency_a, act_ids={world.a1})
    assert mine and {r["act_id"] for r in mine} == {world.a1}  # searched in the full index meanwhile


def test_an_agency_index_never_yields_acts_outside_those_asked_for(world):
    refresh_stale(world.db)
    own = table_name(world.agency_a)
    assert search_units(world.db, "заявление", act_ids={world.a1}, within=own)
    assert search_units(world.db, "заявление", act_ids={world.a2}, within=own) == []


def test_agency_staff_find_the_same_clauses_before_and_after_their_index_is_built(tmp_path):
    web = fresh_world(tmp_path / "web")
    client = make_app(web).test_client()
    act_as(client, web, "agency_a")

    def links(q: str) -> list[str]:
        html = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        return sorted(re.findall(r'href="(/acts/\d+#u-[^"]+)"', html))

    before = {q: links(q) for q in QUERIES}
    db = open_db(web.db_path)
    try:
        assert web.agency_a in refresh_stale(db)
    finally:
        db.close()
    after = {q: links(q + " ")  # another query text: not the page kept from before
             for q in QUERIES}
    assert after == before
    assert any(before.values())
    assert all(link.startswith(f"/acts/{web.act_a}#") for found_links in after.values() for link in found_links)


def test_an_agency_with_too_many_clauses_searches_the_full_index_and_is_not_rebuilt_again(world, monkeypatch):
    from tracker import search_index

    clauses = world.db.execute("SELECT COUNT(*) FROM units WHERE act_id = ?", [world.a1]).fetchone()[0]
    monkeypatch.setattr(search_index, "MAX_UNITS", clauses - 1)
    assert world.agency_a in refresh_stale(world.db)
    assert stale(world.db) == []  # recorded as current: the job thread does not try again and again
    assert current_index(world.db, world.agency_a, {world.a1}) is None
    assert world.db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = ?",
                            [table_name(world.agency_a)]).fetchone()[0] == 0
    hits = search(world.db, "заявление", agency_id=world.agency_a, act_ids={world.a1}, limit=1000)
    assert found(hits) == found(search_units(world.db, "заявление", act_ids={world.a1}, limit=1000)) != set()
