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
