"""Verdicts, comments, the audit trail behind them, and who may read or review which act."""
from __future__ import annotations

import sqlite3

import pytest

from tests.review_setup import World, make_world
from tracker.access import can_manage, can_read_act, can_read_campaign, can_review, visible_act_ids
from tracker.audit import history
from tracker.campaigns import act_status
from tracker.users import update_user
from tracker.verdicts import add_comment, get_comments, get_verdicts, set_verdict


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


def audit_count(w: World) -> int:
    return w.db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(("verdict", "fields", "message"), [
    ("abolish", {}, "unknown verdict 'abolish'; one of: keep, amend, repeal, duplicative, not_applicable"),
    ("amend", {"new_wording": "Новая редакция"}, "a reason is required for the verdict 'amend'"),
    ("amend", {"reason": "Избыточное требование"}, "the new wording is required for the verdict 'amend'"),
    ("repeal", {"reason": "   "}, "a reason is required for the verdict 'repeal'"),
    ("duplicative", {}, "a reason is required for the verdict 'duplicative'"),
])
def test_invalid_verdicts_are_refused_with_a_clear_message_and_change_nothing(world, verdict, fields, message):
    before = audit_count(world)
    uid = world.clauses(world.a1)[0]
    with pytest.raises(ValueError) as exc:
        set_verdict(world.db, world.cid, world.a1, uid, verdict, user=world.users["agency_a"], **fields)
    assert str(exc.value) == message
    assert get_verdicts(world.db, world.cid, world.a1) == {}
    assert audit_count(world) == before
    assert act_status(world.db, world.cid, world.a1) == "not_started"


def test_keep_and_not_applicable_need_no_reason(world):
    uids = world.clauses(world.a1)
    set_verdict(world.db, world.cid, world.a1, uids[0], "keep", user=world.users["agency_a"])
    set_verdict(world.db, world.cid, world.a1, uids[1], "not_applicable", user=world.users["agency_a"])
    assert {u: v["verdict"] for u, v in get_verdicts(world.db, world.cid, world.a1).items()} == {
        uids[0]: "keep", uids[1]: "not_applicable"}


def test_a_unit_outside_the_act_or_an_act_outside_the_campaign_is_refused(world):
    with pytest.raises(ValueError, match=f"act {world.a1} has no clause 'u9999'"):
        set_verdict(world.db, world.cid, world.a1, "u9999", "keep", user=world.users["lawyer"])
    other_act = world.a2
    uid = world.clauses(other_act)[0]
    with pytest.raises(ValueError, match=f"act {other_act} is not assigned in campaign {world.cid + 1}"):
        set_verdict(world.db, world.cid + 1, other_act, uid, "keep", user=world.users["lawyer"])


def test_new_wording_is_kept_only_for_an_amendment(world):
    uid = world.clauses(world.a1)[0]
    v = set_verdict(world.db, world.cid, world.a1, uid, "repeal", reason="Устарело",
                    new_wording="остаток из формы", user=world.users["agency_a"])
    assert (v["verdict"], v["reason"], v["new_wording"]) == ("repeal", "Устарело", "")


# --- audit ----------------------------------------------------------------------------------


def test_every_verdict_change_is_audited_with_who_before_and_after(world):
    db, cid, a1 = world.db, world.cid, world.a1
    uid = world.clauses(a1)[4]
    set_verdict(db, cid, a1, uid, "keep", user=world.users["agency_a"], comment="Норма нужна")
    set_verdict(db, cid, a1, uid, "amend", user=world.users["lawyer"], reason="Сократить срок",
                new_wording="в течение 3 рабочих дней")
    set_verdict(db, cid, a1, uid, "amend", user=world.users["lawyer"], reason="Сократить срок",
                new_wording="в течение 3 рабочих дней")  # the same again: nothing to record

    entries = [e for e in history(db, act_id=a1, uid=uid) if e["entity"] == "verdict"]
    assert [e["user_email"] for e in entries] == ["lawyer@example.kz", "a@example.kz"]  # newest first
    newest, first = entries
    assert first["before"] is None
    assert first["after"] == {"verdict": "keep", "reason": "", "new_wording": "", "comment": "Норма нужна"}
    assert newest["before"] == first["after"]
    assert newest["after"] == {"verdict": "amend", "reason": "Сократить срок",
                               "new_wording": "в течение 3 рабочих дней", "comment": ""}
    assert newest["at"].endswith("+00:00") and newest["campaign_id"] == cid
    stored = get_verdicts(db, cid, a1)[uid]
    assert (stored["reviewer"], stored["reviewer_name"]) == ("lawyer@example.kz", "Юрист")


def test_the_audit_log_cannot_be_edited_or_deleted(world):
    set_verdict(world.db, world.cid, world.a1, world.clauses(world.a1)[0], "keep", user=world.users["lawyer"])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        world.db.execute("UPDATE audit_log SET user_email = 'someone@else.kz'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        world.db.execute("DELETE FROM audit_log")


# --- comments -------------------------------------------------------------------------------


def test_comments_form_a_thread_per_clause_with_their_authors(world):
    db, cid, a1 = world.db, world.cid, world.a1
    uid = world.clauses(a1)[1]
    add_comment(db, cid, a1, uid, "Предлагаю сократить срок", user=world.users["agency_a"])
    add_comment(db, cid, a1, uid, "Согласен, нужна ссылка на закон", user=world.users["lawyer"])
    thread = get_comments(db, cid, a1, uid)
    assert [(c["author"], c["text"]) for c in thread] == [
        ("a@example.kz", "Предлагаю сократить срок"), ("lawyer@example.kz", "Согласен, нужна ссылка на закон")]
    assert history(db, act_id=a1, uid=uid)[0]["action"] == "comment"
    with pytest.raises(ValueError, match="empty"):
        add_comment(db, cid, a1, uid, "  ", user=world.users["lawyer"])
    with pytest.raises(PermissionError):
        add_comment(db, cid, a1, uid, "Чужой акт", user=world.users["agency_b"])


# --- access ---------------------------------------------------------------------------------


def test_an_agency_cannot_read_or_review_another_agencys_act(world):
    db, cid, a_user, b_user = world.db, world.cid, world.users["agency_a"], world.users["agency_b"]
    assert can_read_act(db, a_user, world.a1) and can_review(db, a_user, cid, world.a1)
    assert not can_read_act(db, a_user, world.a2) and not can_review(db, a_user, cid, world.a2)
    assert visible_act_ids(db, a_user) == {world.a1}
    with pytest.raises(PermissionError):
        set_verdict(db, cid, world.a2, world.clauses(world.a2)[0], "keep", user=a_user)
    assert get_verdicts(db, cid, world.a2) == {}
    assert can_read_act(db, b_user, world.a2) and not can_read_act(db, b_user, world.a1)


def test_roles_lawyers_manage_and_review_viewers_only_read(world):
    db, cid = world.db, world.cid
    for role in ("admin", "lawyer"):
        user = world.users[role]
        assert can_manage(user) and can_review(db, user, cid, world.a2) and can_read_act(db, user, world.a2)
        assert visible_act_ids(db, user) is None
    viewer = world.users["viewer"]
    assert can_read_act(db, viewer, world.a1) and visible_act_ids(db, viewer) is None
    assert not can_review(db, viewer, cid, world.a1) and not can_manage(viewer)
    with pytest.raises(PermissionError):
        set_verdict(db, cid, world.a1, world.clauses(world.a1)[0], "keep", user=viewer)
    assert not can_manage(world.users["agency_a"])
    assert can_read_campaign(db, world.users["agency_a"], cid) and not can_read_campaign(db, world.users["agency_a"], cid + 1)


def test_a_disabled_or_anonymous_user_may_do_nothing(world):
    db, cid = world.db, world.cid
    disabled = update_user(db, world.users["lawyer"]["id"], active=False)
    for user in (disabled, None):
        assert not can_read_act(db, user, world.a1) and not can_review(db, user, cid, world.a1)
        assert not can_manage(user) and visible_act_ids(db, user) == set()

