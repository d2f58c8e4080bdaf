"""Accounts and agencies: hashed passwords, unique case-insensitive e-mails, clear refusals, the CLI."""
from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from tests.review_setup import PASSWORD
from tracker.audit import history
from tracker.campaigns import get_campaign, list_campaigns
from tracker.cli import main
from tracker.db import open_db
from tracker.users import (
    authenticate,
    create_agency,
    create_user,
    find_agency,
    get_user,
    list_agencies,
    list_users,
    set_password,
    update_user,
)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "norma.db")
    yield database
    database.close()


def test_password_is_stored_only_as_a_hash_and_login_ignores_email_case(db):
    uid = create_user(db, "  Aigerim@Gov.KZ ", PASSWORD, "lawyer", name="Айгерим")
    stored = db.execute("SELECT email, password_hash FROM users WHERE id = ?", [uid]).fetchone()
    assert stored[0] == "aigerim@gov.kz"
    assert PASSWORD not in stored[1] and stored[1].split(":")[0] in ("scrypt", "pbkdf2")

    user = authenticate(db, "AIGERIM@gov.kz", PASSWORD)
    assert user is not None and user["id"] == uid and user["role"] == "lawyer"
    assert authenticate(db, "aigerim@gov.kz", PASSWORD + "x") is None
    assert authenticate(db, "nobody@gov.kz", PASSWORD) is None
    for row in (get_user(db, uid), *list_users(db)):
        assert not any("hash" in key or "password" in key for key in row)


def test_same_email_in_another_case_is_refused(db):
    create_user(db, "lawyer@gov.kz", PASSWORD, "lawyer")
    with pytest.raises(ValueError, match="already exists"):
        create_user(db, "LAWYER@gov.kz", PASSWORD, "viewer")
    assert len(list_users(db)) == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"email": "not-an-email", "password": PASSWORD, "role": "lawyer"}, "not a valid e-mail"),
    ({"email": "x@gov.kz", "password": "short", "role": "lawyer"}, "at least 8 characters"),
    ({"email": "x@gov.kz", "password": PASSWORD, "role": "boss"}, "unknown role 'boss'"),
    ({"email": "x@gov.kz", "password": PASSWORD, "role": "agency"}, "needs an agency"),
    ({"email": "x@gov.kz", "password": PASSWORD, "role": "agency", "agency_id": 999}, "no agency with id 999"),
    ({"email": "x@gov.kz", "password": PASSWORD, "role": "viewer", "lang": "de"}, "unknown language"),
])
def test_bad_user_input_is_refused_with_the_reason(db, kwargs, message):
    with pytest.raises(ValueError, match=message):
        create_user(db, **kwargs)
    assert list_users(db) == []


def test_agency_user_belongs_to_its_agency(db):
    aid = create_agency(db, "Министерство юстиции", email="MJ@gov.kz")
    uid = create_user(db, "reviewer@gov.kz", PASSWORD, "agency", agency_id=aid)
    user = get_user(db, uid)
    assert (user["agency_id"], user["agency"]) == (aid, "Министерство юстиции")
    assert list_agencies(db)[0]["users"] == 1


def test_agency_names_are_unique_ignoring_case_and_spaces_in_cyrillic(db):
    create_agency(db, "Министерство юстиции")
    with pytest.raises(ValueError, match="already exists"):
        create_agency(db, "  МИНИСТЕРСТВО   юстиции ")
    with pytest.raises(ValueError, match="needs a name"):
        create_agency(db, "   ")
    assert find_agency(db, "министерство юстиции")["name"] == "Министерство юстиции"


def test_a_disabled_user_cannot_log_in_and_the_change_is_audited(db):
    admin = get_user(db, create_user(db, "admin@gov.kz", PASSWORD, "admin"))
    uid = create_user(db, "viewer@gov.kz", PASSWORD, "viewer")
    update_user(db, uid, active=False, by=admin)
    assert authenticate(db, "viewer@gov.kz", PASSWORD) is None
    entry = history(db)[0]
    assert (entry["action"], entry["user_email"]) == ("update", "admin@gov.kz")
    assert (entry["before"]["active"], entry["after"]["active"]) == (True, False)


def test_leaving_the_agency_role_drops_the_agency(db):
    aid = create_agency(db, "Министерство юстиции")
    uid = create_user(db, "r@gov.kz", PASSWORD, "agency", agency_id=aid)
    assert update_user(db, uid, role="lawyer")["agency_id"] is None
    with pytest.raises(ValueError, match="needs an agency"):
        update_user(db, uid, role="agency")


def test_new_password_replaces_the_old_one(db):
    uid = create_user(db, "r@gov.kz", PASSWORD, "viewer")
    set_password(db, uid, "another long secret")
    assert authenticate(db, "r@gov.kz", PASSWORD) is None
    assert authenticate(db, "r@gov.kz", "another long secret")["id"] == uid
    with pytest.raises(ValueError, match="at least 8"):
        set_password(db, uid, "short")


# --- the command line -------------------------------------------------------------------------


def run(tmp_path, *args, env=None, input=None):
    result = CliRunner().invoke(main, [*args, "--db", str(tmp_path / "norma.db")], env=env, input=input)
    return result


def test_cli_adds_an_agency_and_its_user_with_the_password_from_the_environment(tmp_path):
    assert run(tmp_path, "agency", "add", "Министерство юстиции", "--email", "mj@gov.kz").exit_code == 0
    result = run(tmp_path, "user", "add", "Reviewer@Gov.kz", "--role", "agency", "--agency", "министерство юстиции",
                 "--password-env", "NORMA_PW", env={"NORMA_PW": PASSWORD})
    assert result.exit_code == 0, result.output
    db = open_db(tmp_path / "norma.db")
    user = authenticate(db, "reviewer@gov.kz", PASSWORD)
    assert user["role"] == "agency" and user["agency"] == "Министерство юстиции"


def test_cli_asks_for_the_password_twice_when_no_variable_is_given(tmp_path):
    result = run(tmp_path, "user", "add", "admin@gov.kz", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert authenticate(open_db(tmp_path / "norma.db"), "admin@gov.kz", PASSWORD)["role"] == "admin"


@pytest.mark.parametrize(("args", "env", "message"), [
    (["user", "add", "r@gov.kz", "--role", "agency", "--agency", "Нет такого", "--password-env", "PW"],
     {"PW": PASSWORD}, "no agency named"),
    (["user", "add", "r@gov.kz", "--role", "agency", "--password-env", "PW"], {"PW": PASSWORD}, "needs an agency"),
    (["user", "add", "r@gov.kz", "--role", "viewer", "--password-env", "PW"], {}, "PW is empty or not set"),
    (["campaign", "add", "X", "--instruction-date", "31.02.2025"], {}, "not a date"),
])
def test_cli_refusals_print_one_error_line_and_exit_2(tmp_path, args, env, message):
    result = run(tmp_path, *args, env=env)
    assert result.exit_code == 2
    assert "error: " in result.output and message in result.output
    assert "Traceback" not in result.output


def test_cli_campaign_gets_a_deadline_one_month_after_the_instruction(tmp_path):
    result = run(tmp_path, "campaign", "add", "Гильотина", "--instruction-date", "31.01.2024", "--country", "KG")
    assert result.exit_code == 0, result.output
    assert "29.02.2024" in result.output
    campaign = get_campaign(open_db(tmp_path / "norma.db"), list_campaigns(open_db(tmp_path / "norma.db"))[0]["id"])
    assert (campaign["instruction_date"], campaign["deadline"], campaign["country"]) == (
        date(2024, 1, 31), date(2024, 2, 29), "KG")
