"""Findings of the security review, kept fixed: all-or-nothing user edits, preview links."""
from __future__ import annotations

import re

import pytest

from tests.web_support import act_as, fresh_world, make_app
from tracker.db import open_db
from tracker.users import authenticate, get_user


@pytest.fixture
def world(tmp_path):
    return fresh_world(tmp_path / "world")


@pytest.fixture
def client(world):
    return make_app(world).test_client()


def test_a_refused_user_edit_changes_neither_role_nor_password(client, world):
    act_as(client, world, "admin")
    uid = world.users["viewer"]["id"]
    # an agency user needs an agency: the edit is refused, and the new password with it
    resp = client.post(f"/admin/users/{uid}", data={
        "name": "Глава", "role": "agency", "agency_id": "", "active": "1", "password": "a-brand-new-pass"})
    assert resp.status_code == 200
    db = open_db(world.db_path)
    try:
        assert get_user(db, uid)["role"] == "viewer"
        assert authenticate(db, world.email("viewer"), "a-brand-new-pass") is None
    finally:
        db.close()


def test_mail_preview_passes_on_only_its_own_arguments(client, world):
    act_as(client, world, "lawyer")
    url = (f"/mail/campaigns/{world.campaign}/preview?audience=ministry&cid=999"
           "&_external=1&_scheme=javascript&_anchor=x")
    resp = client.get(url)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    frame = re.search(r'<iframe src="([^"]+)"', page).group(1)
    assert frame.startswith(f"/mail/campaigns/{world.campaign}/preview.html?")
    assert "audience=ministry" in frame
    assert not any(bad in frame for bad in ("javascript", "_external", "_anchor", "cid="))


def test_a_new_password_ends_the_sessions_signed_before_it(client, world):
    from tracker.users import set_password

    act_as(client, world, "lawyer")
    assert client.get("/acts").status_code == 200
    db = open_db(world.db_path)
    try:
        set_password(db, world.users["lawyer"]["id"], "stolen-cookie-no-more")
    finally:
        db.close()
    resp = client.get("/acts")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("url", ["/acts/99999999999999999999", "/acts?page=99999999999999999999",
                                 "/campaigns/99999999999999999999"])
def test_ids_beyond_sqlite_integers_are_not_found_not_a_server_error(client, world, url):
    act_as(client, world, "lawyer")
    assert client.get(url).status_code == 404


def test_secret_key_is_made_once_and_an_empty_key_file_is_refused(tmp_path):
    from web import _secret_key

    first = _secret_key(tmp_path)
    assert len(first) == 64 and _secret_key(tmp_path) == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temp file left behind
    empty = tmp_path / "other"
    empty.mkdir()
    (empty / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="empty or too short"):
        _secret_key(empty)


def test_an_agency_sees_only_the_versions_of_an_act_assigned_to_it(client, world):
    from tests.web_support import KZ_107_DOCX
    from tracker.importer import import_paths

    db = open_db(world.db_path)
    try:
        entry = import_paths(db, [KZ_107_DOCX]).entries[0]
    finally:
        db.close()
    assert entry.status == "version" and entry.version_of == world.act_a  # a newer version, unassigned
    link = f'href="/acts/{entry.act_id}"'
    act_as(client, world, "agency_a")
    assert link not in client.get(f"/acts/{world.act_a}").get_data(as_text=True)
    act_as(client, world, "lawyer")
    assert link in client.get(f"/acts/{world.act_a}").get_data(as_text=True)
