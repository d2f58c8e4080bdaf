"""Campaigns: deadlines and working days, assignments, act status, progress, the guillotine lists."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.review_setup import EAEU_161, KZ_ALMATY, World, import_act, make_world
from tracker.audit import history
from tracker.campaigns import (
    act_status,
    assign_acts,
    assignments,
    campaigns_of_act,
    clause_units,
    create_campaign,
    days_left,
    finish_act,
    get_campaign,
    guillotine,
    list_campaigns,
    overdue_acts,
    progress,
    progress_stamp,
    unassign_act,
    update_campaign,
    working_days_left,
)
from tracker.users import create_agency
from tracker.verdicts import set_verdict


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


def review_all(w: World, act_id: int, verdict: str = "keep", *, user: str = "lawyer", **kw) -> None:
    for uid in w.clauses(act_id):
        set_verdict(w.db, w.cid, act_id, uid, verdict, user=w.users[user], **kw)


# --- deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(("instruction", "deadline"), [
    (date(2025, 3, 15), date(2025, 4, 15)),
    (date(2025, 1, 31), date(2025, 2, 28)),   # no 31 February: the month's last day
    (date(2024, 1, 31), date(2024, 2, 29)),   # leap year
    (date(2024, 12, 20), date(2025, 1, 20)),  # across the year
])
def test_deadline_defaults_to_one_calendar_month_after_the_instruction(world, instruction, deadline):
    cid = create_campaign(world.db, "Кампания", instruction)
    assert get_campaign(world.db, cid)["deadline"] == deadline


def test_explicit_deadline_is_kept_and_one_before_the_instruction_refused(world):
    cid = create_campaign(world.db, "Кампания", date(2025, 3, 3), deadline="10.04.2025", measure_ids=["M1", "M2"])
    c = get_campaign(world.db, cid)
    assert (c["deadline"], c["measure_ids"]) == (date(2025, 4, 10), ["M1", "M2"])
    with pytest.raises(ValueError, match=r"deadline 01\.03\.2025 is before the instruction date 03\.03\.2025"):
        create_campaign(world.db, "Кампания", date(2025, 3, 3), deadline=date(2025, 3, 1))
    with pytest.raises(ValueError, match="unknown country"):
        create_campaign(world.db, "Кампания", date(2025, 3, 3), country="RU")


def test_calendar_days_left_count_down_to_zero_and_go_negative(world):
    c = get_campaign(world.db, world.cid)
    assert days_left(c, c["deadline"] - timedelta(days=10)) == 10
    assert days_left(c, c["deadline"]) == 0
    assert days_left(c, c["deadline"] + timedelta(days=3)) == -3


def test_working_days_skip_weekends_and_kazakhstan_nauryz(world):
    # 21-23 March 2025 (Fri-Sun) is Nauryz; Mon 24 and Tue 25 are the days off in lieu.
    c = dict(get_campaign(world.db, world.cid), deadline=date(2025, 3, 26), country="KZ")
    assert days_left(c, date(2025, 3, 20)) == 6
    assert working_days_left(c, date(2025, 3, 20)) == 1      # only Wed 26
    ordinary = dict(c, deadline=date(2025, 4, 21))
    assert working_days_left(ordinary, date(2025, 4, 14)) == 5  # Tue-Fri and Mon: a plain week
    assert working_days_left(c, date(2025, 3, 26)) == 0
    assert working_days_left(c, date(2025, 3, 31)) == -3     # Thu 27, Fri 28, Mon 31


def test_working_days_follow_the_campaigns_country(world):
    # Kyrgyzstan rests on 21 March only: Mon 24 - Wed 26 are working days there.
    kg = dict(get_campaign(world.db, world.cid), deadline=date(2025, 3, 26), country="KG")
    assert working_days_left(kg, date(2025, 3, 20)) == 3


def test_updating_a_campaign_is_audited_with_before_and_after(world):
    update_campaign(world.db, world.cid, deadline=date(2025, 5, 5), measure_ids="M3; M4", user=world.users["admin"])
    c = get_campaign(world.db, world.cid)
    assert (c["deadline"], c["measure_ids"]) == (date(2025, 5, 5), ["M3", "M4"])
    entry = history(world.db, campaign_id=world.cid)[0]
    assert entry["action"] == "update" and entry["user_email"] == "admin@example.kz"
    assert entry["before"] == {"deadline": "2025-04-03", "measure_ids": []}
    assert entry["after"] == {"deadline": "2025-05-05", "measure_ids": ["M3", "M4"]}
    with pytest.raises(PermissionError):
        update_campaign(world.db, world.cid, name="Другое", user=world.users["agency_a"])


# --- assignments ----------------------------------------------------------------------------


def test_reassigning_an_act_moves_it_to_the_other_agency_and_is_audited(world):
    assert assign_acts(world.db, world.cid, world.agency_a, [world.a1], user=world.users["lawyer"]) == 0
    assert assign_acts(world.db, world.cid, world.agency_a, [world.a2], user=world.users["lawyer"]) == 1
    assert [a["act_id"] for a in assignments(world.db, world.cid, agency_id=world.agency_a)] == [world.a1, world.a2]
    assert assignments(world.db, world.cid, agency_id=world.agency_b) == []
    entry = history(world.db, act_id=world.a2)[0]
    assert entry["action"] == "reassign"
    assert (entry["before"]["agency_id"], entry["after"]["agency_id"]) == (world.agency_b, world.agency_a)


def test_assignment_rows_carry_the_act_agency_and_clause_counts(world):
    row = assignments(world.db, world.cid, agency_id=world.agency_a)[0]
    assert row["act_title"].startswith("Об утверждении Правил оказания государственной услуги")
    assert row["act_number"] == "107" and row["agency"] == "Министерство юстиции"
    assert (row["status"], row["clauses_reviewed"]) == ("not_started", 0)
    assert row["clauses_total"] == len(world.clauses(world.a1)) > 20


def test_a_batch_with_an_unknown_act_assigns_nothing(world):
    other = create_agency(world.db, "Акимат")
    with pytest.raises(ValueError, match="no act with id 999"):
        assign_acts(world.db, world.cid, other, [world.a1, 999], user=world.users["lawyer"])
    assert assignments(world.db, world.cid, agency_id=other) == []
    with pytest.raises(PermissionError):
        assign_acts(world.db, world.cid, other, [world.a1], user=world.users["agency_a"])


def test_an_act_with_verdicts_cannot_be_unassigned(world):
    set_verdict(world.db, world.cid, world.a1, world.clauses(world.a1)[0], "keep", user=world.users["lawyer"])
    with pytest.raises(ValueError, match="already has verdicts"):
        unassign_act(world.db, world.cid, world.a1, user=world.users["lawyer"])
    unassign_act(world.db, world.cid, world.a2, user=world.users["lawyer"])
    assert [a["act_id"] for a in assignments(world.db, world.cid)] == [world.a1]


def test_clauses_are_the_numbered_units_and_not_headings_or_signatures(world):
    kinds = {u["kind"] for u in clause_units(world.db, world.a1)}
    assert kinds <= {"paragraph", "subparagraph", "table_row"} and "paragraph" in kinds
    assert all(u["label"] for u in clause_units(world.db, world.a1))


def test_an_act_without_numbered_clauses_is_reviewed_paragraph_by_paragraph(world, tmp_path):
    plain = tmp_path / "obrashchenie.txt"
    plain.write_text("Первый абзац без номера.\n\nВторой абзац без номера.\n\nТретий абзац.\n", encoding="utf-8")
    act_id = import_act(world.db, plain)
    units = clause_units(world.db, act_id)
    assert [u["text"] for u in units] == ["Первый абзац без номера.", "Второй абзац без номера.", "Третий абзац."]


# --- status ---------------------------------------------------------------------------------


def test_act_moves_from_not_started_to_in_progress_to_reviewed(world):
    db, cid, a1 = world.db, world.cid, world.a1
    assert act_status(db, cid, a1) == "not_started"
    set_verdict(db, cid, a1, world.clauses(a1)[0], "keep", user=world.users["agency_a"])
    assert act_status(db, cid, a1) == "in_progress"
    review_all(world, a1, user="agency_a")
    finish_act(db, cid, a1, user=world.users["agency_a"])
    assert act_status(db, cid, a1) == "reviewed"
    statuses = [(e["before"]["status"], e["after"]["status"]) for e in reversed(history(db, act_id=a1))
                if e["action"] == "status"]
    assert statuses == [("not_started", "in_progress"), ("in_progress", "reviewed")]


def test_finishing_is_refused_while_clauses_lack_a_verdict(world):
    db, cid, a1 = world.db, world.cid, world.a1
    total = len(world.clauses(a1))
    set_verdict(db, cid, a1, world.clauses(a1)[0], "keep", user=world.users["lawyer"])
    with pytest.raises(ValueError, match=f"^{total - 1} of {total} clauses have no verdict yet$"):
        finish_act(db, cid, a1, user=world.users["lawyer"])
    assert act_status(db, cid, a1) == "in_progress"


def test_changing_a_verdict_after_finishing_reopens_the_act(world):
    db, cid, a1 = world.db, world.cid, world.a1
    review_all(world, a1)
    finish_act(db, cid, a1, user=world.users["lawyer"])
    set_verdict(db, cid, a1, world.clauses(a1)[2], "repeal", reason="Устарела", user=world.users["lawyer"])
    assert act_status(db, cid, a1) == "in_progress"


def test_status_of_an_act_outside_the_campaign_is_an_error(world):
    with pytest.raises(ValueError, match="not assigned in campaign"):
        act_status(world.db, world.cid, 999)


def _counted(world: World, act_id: int) -> tuple[int, int]:
    """(clauses_total, clauses_reviewed) as assignments() reports them."""
    row = next(a for a in assignments(world.db, world.cid) if a["act_id"] == act_id)
    return row["clauses_total"], row["clauses_reviewed"]


def _recounted(world: World, act_id: int) -> tuple[int, int]:
    """The same two figures counted afresh from the clauses and the verdicts table."""
    clauses = set(world.clauses(act_id))
    given = {r[0] for r in world.db.execute("SELECT uid FROM verdicts WHERE campaign_id = ? AND act_id = ?",
                                            [world.cid, act_id]).fetchall()}
    return len(clauses), len(clauses & given)


def test_clause_counts_follow_every_verdict_given_changed_or_removed(world):
    db, cid, a1 = world.db, world.cid, world.a1
    clauses = world.clauses(a1)
    heading = next(u["uid"] for u in db.query("SELECT uid FROM units WHERE act_id = ? ORDER BY seq", [a1])
                   if u["uid"] not in clauses)
    lawyer = world.users["lawyer"]
    for uid in clauses[:5]:
        set_verdict(db, cid, a1, uid, "keep", user=lawyer)
    set_verdict(db, cid, a1, clauses[0], "repeal", reason="Устарела", user=lawyer)  # a change, not a new one
    set_verdict(db, cid, a1, heading, "keep", user=lawyer)  # a verdict on a heading is no clause reviewed
    assert _counted(world, a1) == _recounted(world, a1) == (len(clauses), 5)
    # any writer keeps the figure right, not only set_verdict
    db.execute("DELETE FROM verdicts WHERE campaign_id = ? AND act_id = ? AND uid = ?", [cid, a1, clauses[1]])
    db.execute("UPDATE verdicts SET uid = ? WHERE campaign_id = ? AND act_id = ? AND uid = ?",
               [clauses[9], cid, a1, heading])
    assert _counted(world, a1) == _recounted(world, a1) == (len(clauses), 5)
    assert _counted(world, world.a2) == _recounted(world, world.a2) == (len(world.clauses(world.a2)), 0)


def test_an_act_without_a_stored_clause_count_is_counted_when_read(world):
    world.db.execute("UPDATE acts SET clause_count = NULL WHERE id = ?", [world.a1])
    assert _counted(world, world.a1) == (len(world.clauses(world.a1)), 0)


def test_an_act_without_numbered_units_stores_its_paragraph_count(world, tmp_path):
    plain = tmp_path / "obrashchenie.txt"
    plain.write_text("Первый абзац.\n\nВторой абзац.\n", encoding="utf-8")
    act_id = import_act(world.db, plain)
    assign_acts(world.db, world.cid, world.agency_a, [act_id], user=None)
    assert _counted(world, act_id) == _recounted(world, act_id) == (2, 0)


# --- progress -------------------------------------------------------------------------------


def progress_world(world: World) -> tuple[int, int]:
    """Agency "Агентство" has finished its act; "Ведомство" gave every verdict but did not finish."""
    done = create_agency(world.db, "Агентство по делам гражданской службы")
    late = create_agency(world.db, "Ведомство статистики")
    a3, a4 = import_act(world.db, KZ_ALMATY), import_act(world.db, EAEU_161)
    assign_acts(world.db, world.cid, done, [a3], user=None)
    assign_acts(world.db, world.cid, late, [a4], user=None)
    review_all(world, a3)
    finish_act(world.db, world.cid, a3, user=world.users["lawyer"])
    review_all(world, a4)
    set_verdict(world.db, world.cid, world.a2, world.clauses(world.a2)[0], "keep", user=world.users["lawyer"])
    return done, late


def test_progress_lists_overdue_agencies_first_once_the_deadline_has_passed(world):
    done, late = progress_world(world)
    deadline = get_campaign(world.db, world.cid)["deadline"]

    before = progress(world.db, world.cid, deadline)
    assert not any(p["overdue"] for p in before)
    assert [p["agency_id"] for p in before][-2:] == [done, late]  # both 100 %, then by name

    after = progress(world.db, world.cid, deadline + timedelta(days=1))
    assert [p["overdue"] for p in after] == [True, True, True, False]
    assert after[-1]["agency_id"] == done
    first_three = [p["agency_id"] for p in after[:3]]
    assert first_three == [world.agency_a, world.agency_b, late]  # overdue, least done first
    row = {p["agency_id"]: p for p in after}
    assert (row[late]["percent"], row[late]["acts_reviewed"]) == (100, 0)
    n2 = len(world.clauses(world.a2))
    assert (row[world.agency_b]["clauses_reviewed"], row[world.agency_b]["clauses_total"]) == (1, n2)
    assert row[world.agency_b]["percent"] == 100 * 1 // n2


def test_overdue_acts_are_the_unfinished_ones_after_the_deadline(world):
    done, _late = progress_world(world)
    deadline = get_campaign(world.db, world.cid)["deadline"]
    assert overdue_acts(world.db, world.cid, deadline) == []
    late = overdue_acts(world.db, world.cid, deadline + timedelta(days=1))
    assert {a["act_id"] for a in late} == {a["act_id"] for a in assignments(world.db, world.cid)
                                           if a["agency_id"] != done}


# --- the guillotine -------------------------------------------------------------------------


def test_guillotine_sorts_acts_into_keep_amend_and_repeal(world):
    db, cid = world.db, world.cid
    a3 = import_act(db, KZ_ALMATY)
    a4 = import_act(db, EAEU_161)
    assign_acts(db, cid, world.agency_a, [a3, a4], user=None)
    review_all(world, world.a1, "repeal", reason="Норма утратила актуальность")       # everything removed
    review_all(world, world.a2, "keep")
    set_verdict(db, cid, world.a2, world.clauses(world.a2)[3], "amend", reason="Срок сокращается",
                new_wording="в течение 3 рабочих дней", user=world.users["lawyer"])  # one change
    review_all(world, a3, "duplicative", reason="Дублирует Кодекс")
    set_verdict(db, cid, a3, world.clauses(a3)[0], "keep", user=world.users["lawyer"])  # one clause survives
    # a4: no verdict yet
    lists = guillotine(db, cid)
    ids = {k: [e["act_id"] for e in v] for k, v in lists.items()}
    assert ids == {"keep": [a4], "amend": [world.a2, a3], "repeal": [world.a1]}  # by agency name, then act
    unreviewed = lists["keep"][0]
    assert (unreviewed["status"], unreviewed["clauses_reviewed"]) == ("not_started", 0)
    assert lists["repeal"][0]["verdicts"] == {"repeal": len(world.clauses(world.a1))}


def test_campaign_lists_and_the_acts_campaigns_respect_the_agency(world):
    other = create_campaign(world.db, "Вторая", date(2025, 6, 2))
    assign_acts(world.db, other, world.agency_b, [world.a1], user=None)
    assert {c["id"] for c in list_campaigns(world.db, user=world.users["agency_a"])} == {world.cid}
    assert {c["id"] for c in list_campaigns(world.db, user=world.users["viewer"])} == {world.cid, other}
    assert [c["id"] for c in campaigns_of_act(world.db, world.a1)] == [other, world.cid]
    assert [c["id"] for c in campaigns_of_act(world.db, world.a1, user=world.users["agency_a"])] == [world.cid]
    assert campaigns_of_act(world.db, world.a2, user=world.users["agency_a"]) == []


def test_bulk_assignment_refuses_unknown_acts_with_a_short_message_and_huge_batches(world):
    from tracker.campaigns import MAX_ASSIGN

    lawyer = world.users["lawyer"]
    with pytest.raises(ValueError) as err:
        assign_acts(world.db, world.cid, world.agency_a, range(100_000, 100_050), user=lawyer)
    assert str(err.value) == ("no act with id 100000, 100001, 100002, 100003, 100004, 100005, 100006, "
                              "100007, 100008, 100009 and 40 more")
    with pytest.raises(ValueError, match="at most"):
        assign_acts(world.db, world.cid, world.agency_a, range(MAX_ASSIGN + 1), user=lawyer)


def test_the_progress_stamp_moves_with_assignments_finished_acts_and_the_deadline_not_with_verdicts(world):
    w = world
    other = create_campaign(w.db, "Другая кампания", date(2025, 3, 3))
    stamps = [progress_stamp(w.db, w.cid)]

    def moved() -> bool:
        stamps.append(progress_stamp(w.db, w.cid))
        return stamps[-1] != stamps[-2]

    set_verdict(w.db, w.cid, w.a1, w.clauses(w.a1)[0], "keep", user=w.users["lawyer"])
    assert not moved()  # verdicts (and the act now "in progress") leave the cached figures alone
    eaeu = import_act(w.db, EAEU_161)
    assign_acts(w.db, other, w.agency_a, [eaeu], user=None)
    assert not moved()  # another campaign's change
    assign_acts(w.db, w.cid, w.agency_a, [eaeu], user=None)
    assert moved()
    assign_acts(w.db, w.cid, w.agency_b, [eaeu], user=None)  # given to another agency
    assert moved()
    review_all(w, w.a1)
    assert not moved()
    finish_act(w.db, w.cid, w.a1, user=w.users["lawyer"])
    assert moved()
    unassign_act(w.db, w.cid, eaeu, user=None)
    assert moved()
    update_campaign(w.db, w.cid, deadline="30.04.2025", user=w.users["lawyer"])
    assert moved()
