"""Who may open what: every route for every role, and agencies never see each other's acts.

Agency A reviews act A; agency B reviews act B (campaign 1 only). For B, act A and its
clauses, verdicts, files and documents must look exactly like something that does not
exist (404), not like something forbidden (403).
"""
from __future__ import annotations

import re

import pytest

from tests.web_support import ROLES, act_as, build_world, copy_world, fresh_world, login, make_app

ANON = "anonymous"
ALL = (ANON, *ROLES)
READERS = ("admin", "lawyer", "viewer", "agency_a", "agency_b")
MANAGERS = ("admin", "lawyer")

# (method, url template, endpoint, data, {role: expected status}); a role left out gets `default`.
ROUTES: list[tuple[str, str, str, dict, dict[str, int], int]] = []


def route(method: str, url: str, endpoint: str, default: int, data: dict | None = None, **expected: int) -> None:
    ROUTES.append((method, url, endpoint, data or {}, expected, default))


# --- reading ---
route("GET", "/", "dashboard.index", 200)
route("GET", "/search?q=заявление", "dashboard.search", 200)
route("GET", "/acts", "acts.list_", 200)
route("GET", "/acts/{act_a}", "acts.show", 200, agency_b=404)
route("GET", "/acts/{act_a}/file", "acts.download", 200, agency_b=404)
route("GET", "/acts/{act_b}", "acts.show", 200, agency_a=404)
route("GET", "/upload", "acts.upload", 403, admin=200, lawyer=200)
route("GET", "/jobs", "acts.jobs", 403, admin=200, lawyer=200)
route("GET", "/jobs/999", "acts.job", 403, admin=404, lawyer=404)
route("GET", "/campaigns", "campaigns.list_", 200)
route("GET", "/campaigns/new", "campaigns.new", 403, admin=200, lawyer=200)
route("GET", "/campaigns/{campaign}", "campaigns.show", 200)
route("GET", "/campaigns/{campaign_a_only}", "campaigns.show", 200, agency_b=404)
route("GET", "/campaigns/{campaign}/edit", "campaigns.edit", 403, admin=200, lawyer=200)
route("GET", "/campaigns/{campaign}/assign", "campaigns.assign", 403, admin=200, lawyer=200)
route("GET", "/campaigns/{campaign}/outcome", "campaigns.outcome", 200)
route("GET", "/campaigns/{campaign_a_only}/outcome", "campaigns.outcome", 200, agency_b=404)
route("GET", "/campaigns/{campaign}/history", "campaigns.history", 200, agency_a=403, agency_b=403)
route("GET", "/campaigns/{campaign}/acts/{act_a}", "review.act", 200, agency_b=404)
route("GET", "/campaigns/{campaign}/acts/{act_b}", "review.act", 200, agency_a=404)
route("GET", "/campaigns/{campaign}/acts/{act_a}/units/{uid_a}/history", "review.history", 200, agency_b=404)
route("GET", "/campaigns/{campaign}/verdicts.xlsx", "exports.verdicts_xlsx", 200)
route("GET", "/campaigns/{campaign}/verdicts.csv", "exports.verdicts_csv", 200)
route("GET", "/campaigns/{campaign_a_only}/verdicts.csv", "exports.verdicts_csv", 200, agency_b=404)
route("GET", "/campaigns/{campaign}/acts/{act_a}/comparison.docx", "exports.comparison_act", 200, agency_b=404)
route("GET", "/campaigns/{campaign}/agencies/{agency_a}/comparison.docx", "exports.comparison_agency", 200,
      agency_b=404)
route("GET", "/campaigns/{campaign}/agencies/{agency_b}/comparison.docx", "exports.comparison_agency", 200,
      agency_a=404)
route("GET", "/admin/users", "admin.users", 403, admin=200)
route("GET", "/admin/users/{user_lawyer}", "admin.edit_user", 403, admin=200)
route("GET", "/admin/agencies", "admin.agencies", 403, admin=200)
# --- changing ---
route("POST", "/campaigns/{campaign}/acts/{act_a}/units/{uid_a}/verdict", "review.verdict", 303,
      data={"verdict": "keep"}, viewer=403, agency_b=404)
route("POST", "/campaigns/{campaign}/acts/{act_b}/units/{uid_b}/verdict", "review.verdict", 303,
      data={"verdict": "keep"}, viewer=403, agency_a=404)
route("POST", "/campaigns/{campaign}/acts/{act_a}/units/{uid_a}/comment", "review.comment", 303,
      data={"text": "Замечание"}, viewer=403, agency_b=404)
route("POST", "/campaigns/{campaign}/acts/{act_a}/finish", "review.finish", 303, viewer=403, agency_b=404)
route("POST", "/acts/{act_a}/units/{uid_a}/links/{measure}", "acts.decide_link", 403,
      data={"decision": "confirmed"}, admin=302, lawyer=302)
route("POST", "/acts/{act_a}/units/{uid_a}/links", "acts.add_link", 403,
      data={"measure_id": "M13", "why": "лишний документ"}, admin=302, lawyer=302)
route("POST", "/upload", "acts.upload", 403, admin=400, lawyer=400)  # no file chosen: the form again
route("POST", "/campaigns/new", "campaigns.new", 403, data={"name": "", "instruction_date": "01.02.2025"},
      admin=200, lawyer=200)  # refused input: the form again
route("POST", "/campaigns/{campaign}/edit", "campaigns.edit", 403, data={"name": "Новое имя"},
      admin=302, lawyer=302)
route("POST", "/campaigns/{campaign}/assign", "campaigns.assign", 403,
      data={"agency_id": "{agency_a}", "act_ids": "{act_a}"}, admin=302, lawyer=302)
route("POST", "/admin/users", "admin.create_user", 403, data={"email": "x@norma.test", "password": "longenough1",
                                                            "role": "viewer"}, admin=302)
route("POST", "/admin/users/{user_viewer}", "admin.edit_user", 403, data={"name": "V", "role": "viewer",
                                                                         "active": "1"}, admin=302)
route("POST", "/admin/agencies", "admin.create_agency", 403, data={"name": "Новое ведомство"}, admin=302)
# --- mail: the send log and report previews (web/mail_views.py) ---
route("GET", "/mail", "mail.log", 403, admin=200, lawyer=200)
route("GET", "/mail/999", "mail.entry", 403, admin=404, lawyer=404)
route("POST", "/mail/999/resend", "mail.resend", 403, admin=302, lawyer=302)
route("POST", "/mail/test", "mail.test_message", 403, admin=302)
route("GET", "/mail/campaigns/{campaign}", "mail.campaign", 403, admin=200, lawyer=200)
route("GET", "/mail/campaigns/{campaign}/preview", "mail.preview", 403, admin=200, lawyer=200)
route("GET", "/mail/campaigns/{campaign}/preview.html", "mail.preview_html", 403, admin=200, lawyer=200)
route("GET", "/mail/campaigns/{campaign}/preview/none.xlsx", "mail.preview_attachment", 403, admin=404, lawyer=404)
route("POST", "/mail/campaigns/{campaign}/send", "mail.send", 403, admin=302, lawyer=302)
# --- open to everyone ---
route("GET", "/lang/en", "auth.set_language", 302)
route("POST", "/logout", "auth.logout", 302)
PUBLIC = {"auth.login", "auth.setup", "auth.set_language", "auth.logout", "static"}


def _fill(text: str, w) -> str:
    return text.format(act_a=w.act_a, act_b=w.act_b, campaign=w.campaign, campaign_a_only=w.campaign_a_only,
                       uid_a=w.uid_a, uid_b=w.uid_b, measure=w.measure, agency_a=w.agency_a,
                       agency_b=w.agency_b, user_lawyer=w.users["lawyer"]["id"],
                       user_viewer=w.users["viewer"]["id"])


@pytest.fixture
def world(tmp_path):
    return fresh_world(tmp_path / "world")


@pytest.fixture
def client(world):
    return make_app(world).test_client()


@pytest.fixture(scope="module")
def matrix_world(tmp_path_factory):
    """One world for the whole matrix; each POST row works on its own copy."""
    return build_world(tmp_path_factory.mktemp("matrix"))


@pytest.fixture(scope="module")
def matrix_app(matrix_world):
    return make_app(matrix_world)


CASES = [pytest.param(method, url, endpoint, data, role, expected.get(role, default),
                      id=f"{role}-{method}-{url}")
         for method, url, endpoint, data, expected, default in ROUTES for role in ALL]


@pytest.mark.parametrize(("method", "url", "endpoint", "data", "role", "status"), CASES)
def test_every_route_answers_each_role_as_its_rights_allow(matrix_world, matrix_app, tmp_path, method, url,
                                                            endpoint, data, role, status):
    world = copy_world(matrix_world, tmp_path / "w") if method == "POST" else matrix_world
    matrix_app.config["DATABASE"] = str(world.db_path)
    client = matrix_app.test_client()
    if role != ANON:
        act_as(client, world, role)
    elif endpoint not in PUBLIC:
        status = 302  # to the login page
    form = {k: _fill(v, world) for k, v in data.items()}
    resp = client.open(_fill(url, world), method=method, data=form)
    assert resp.status_code == status, resp.data[:300]
    if role == ANON and endpoint not in PUBLIC:
        assert "/login" in resp.location


def test_the_matrix_covers_every_route(matrix_app):
    endpoints = {r.endpoint for r in matrix_app.url_map.iter_rules()}
    covered = {endpoint for _m, _u, endpoint, *_ in ROUTES} | {"auth.login", "auth.setup", "static"}
    assert endpoints - covered == set()


def test_another_agencys_act_looks_exactly_like_a_missing_one(client, world):
    login(client, world, "agency_b")
    hidden = client.get(f"/acts/{world.act_a}")
    missing = client.get("/acts/999999")
    assert hidden.status_code == missing.status_code == 404
    assert _without_own_url(hidden) == _without_own_url(missing)
    review_hidden = client.get(f"/campaigns/{world.campaign}/acts/{world.act_a}")
    review_missing = client.get(f"/campaigns/{world.campaign}/acts/999999")
    assert review_hidden.status_code == review_missing.status_code == 404
    assert _without_own_url(review_hidden) == _without_own_url(missing)


def _without_own_url(resp) -> str:
    """The page without the language links, which carry the page's own address back, and with
    the CSRF token masked: Flask-WTF signs it with a timestamp, so two requests either side of
    a second boundary carry different tokens although nothing about the act differs."""
    page = re.sub(r"next=[^\"]*", "", resp.get_data(as_text=True))
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="…"', page)


def test_agency_lists_and_exports_hold_only_its_own_acts(client, world):
    from tracker.db import open_db
    from tracker.verdicts import set_verdict

    db = open_db(world.db_path)
    set_verdict(db, world.campaign, world.act_a, world.uid_a, "repeal", user=None, reason="секретная причина")
    db.close()
    login(client, world, "agency_b")
    listing = client.get("/acts").get_data(as_text=True)
    assert f'href="/acts/{world.act_b}"' in listing
    assert f'href="/acts/{world.act_a}"' not in listing
    campaign = client.get(f"/campaigns/{world.campaign}").get_data(as_text=True)
    assert f"/acts/{world.act_a}" not in campaign
    assert "Министерство юстиции" not in campaign
    csv = client.get(f"/campaigns/{world.campaign}/verdicts.csv").get_data(as_text=True)
    assert "секретная причина" not in csv
    client.post("/logout")
    login(client, world, "lawyer")
    assert "секретная причина" in client.get(f"/campaigns/{world.campaign}/verdicts.csv").get_data(as_text=True)


def test_agency_cannot_give_a_verdict_on_another_agencys_clause(client, world):
    from tracker.db import open_db
    from tracker.verdicts import get_verdicts

    login(client, world, "agency_b")
    resp = client.post(f"/campaigns/{world.campaign}/acts/{world.act_a}/units/{world.uid_a}/verdict",
                       data={"verdict": "repeal", "reason": "чужой акт"})
    assert resp.status_code == 404
    db = open_db(world.db_path)
    assert get_verdicts(db, world.campaign, world.act_a) == {}
    db.close()


def test_search_does_not_reveal_other_agencies_clauses(client, world):
    from tracker.acts import get_units
    from tracker.db import open_db

    db = open_db(world.db_path)
    word = next(u["text"].split()[0] for u in get_units(db, world.act_a) if len(u["text"].split()) > 3)
    db.close()
    login(client, world, "lawyer")
    assert f"/acts/{world.act_a}#" in client.get("/search", query_string={"q": word}).get_data(as_text=True)
    client.post("/logout")
    login(client, world, "agency_b")
    assert f"/acts/{world.act_a}#" not in client.get("/search", query_string={"q": word}).get_data(as_text=True)
