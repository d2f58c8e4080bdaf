"""Storage: the database's schema and settings, acts and units, the blob store, search."""
from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from parsers import parse_file
from parsers.model import Act, Unit
from tracker import acts as acts_mod
from tracker.acts import (
    act_key,
    act_versions,
    fts_query,
    get_act,
    get_units,
    list_acts,
    load_act,
    save_act,
    search_units,
)
from tracker.db import applied_migrations, default_db_path, instance_dir, migrate, migration_names, open_db
from tracker.files import blob_path, read_blob, record_file, store_blob

FIXTURES = Path(__file__).parent / "fixtures"
KZ_107 = FIXTURES / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md"
RU_146 = FIXTURES / "ru_pravitelstvo_2019_146_pravila_goskontrolya.txt"


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "norma.db")
    yield database
    database.close()


def counts(db) -> dict[str, int]:
    return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("files", "acts", "units", "units_fts")}


def small_act(file: str = "pravila.md", **meta) -> Act:
    units = [
        Unit("u1", None, "chapter", "Глава 1", "Общие положения"),
        Unit("u2", "u1", "paragraph", "1.", "Услугополучатель обращается с заявлением к услугодателю."),
        Unit("u3", "u2", "subparagraph", "1)", "Ёмкость хранилища определяет услугодатель.", page=2),
        Unit("u4", None, "table_row", "table:1", "Срок 15 рабочих дней", cells=["1", "Срок", "15 рабочих дней"]),
        Unit("u5", None, "text", "", "Изменён приказом от 1 января 2021 года", role="note"),
    ]
    return Act(file=file, format="md", units=units, warnings=["page 3: table continues"], **meta)


def add(db, act: Act, content: bytes | None = None, **kw) -> int:
    """Store an act as the importer would: its file first, then the act."""
    data = content if content is not None else act.file.encode() + repr(act.to_dict()).encode()
    sha, rel = store_blob(db, data)
    with db.atomic():
        record_file(db, sha256=sha, name=act.file, size=len(data), fmt=act.format, stored_path=rel)
        return save_act(db, act, sha, **kw)


# --- the database -------------------------------------------------------------------------


def test_migrations_run_once_and_reopening_is_harmless(tmp_path):
    path = tmp_path / "norma.db"
    first = open_db(path)
    names = migration_names()
    assert applied_migrations(first) == names
    act_id = add(first, small_act())
    before = counts(first)
    first.close()

    second = open_db(path)
    assert migrate(second) == []
    assert applied_migrations(second) == names
    assert second.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(names)
    assert counts(second) == before
    assert get_act(second, act_id)["title"] is None


def _open_in_process(path: str) -> list[str]:
    return applied_migrations(open_db(path))


def test_processes_opening_a_new_database_together_create_the_schema_once(tmp_path):
    path = str(tmp_path / "shared.db")
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.map(_open_in_process, [path] * 3)
    names = migration_names()
    assert results == [names] * 3
    db = open_db(path)
    assert db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(names)


def test_connection_uses_wal_foreign_keys_and_waits_for_locks(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_an_act_cannot_point_at_a_file_that_was_never_stored(db):
    with pytest.raises(sqlite3.IntegrityError):
        save_act(db, small_act(), "0" * 64)
    assert counts(db) == {"files": 0, "acts": 0, "units": 0, "units_fts": 0}


def test_default_locations_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NORMA_DB", raising=False)
    monkeypatch.setenv("NORMA_INSTANCE", str(tmp_path / "inst"))
    assert instance_dir() == tmp_path / "inst"
    assert default_db_path() == tmp_path / "inst" / "norma.db"
    monkeypatch.setenv("NORMA_DB", str(tmp_path / "other.db"))
    assert default_db_path() == tmp_path / "other.db"
    monkeypatch.delenv("NORMA_INSTANCE")
    assert instance_dir().name == "instance"


# --- acts and units -----------------------------------------------------------------------


def test_stored_act_reads_back_as_parsed(db):
    act = parse_file(KZ_107)
    act_id = add(db, act, KZ_107.read_bytes())
    assert load_act(db, act_id).to_dict() == act.to_dict()
    units = get_units(db, act_id)
    assert [u["uid"] for u in units] == [u.id for u in act.units]
    assert [u["seq"] for u in units] == list(range(len(act.units)))
    row = get_act(db, act_id)
    assert (row["number"], row["date"], row["unit_count"]) == (act.number, act.date, len(act.units))


def test_json_fields_come_back_as_python_values(db):
    act = small_act()
    facts = {"u2": {"modality": "obligation", "deadlines": []}}
    act_id = add(db, act, facts=facts, burden={"documents": 1})
    row = get_act(db, act_id)
    assert row["warnings"] == act.warnings and row["burden"] == {"documents": 1}
    units = {u["uid"]: u for u in get_units(db, act_id)}
    assert units["u4"]["cells"] == ["1", "Срок", "15 рабочих дней"]
    assert units["u2"]["facts"] == facts["u2"] and units["u1"]["facts"] is None
    assert units["u5"]["role"] == "note" and units["u3"]["page"] == 2


def test_saving_an_act_is_all_or_nothing(db, monkeypatch):
    add(db, small_act("first.md"))
    before = counts(db)
    seen: dict[str, int] = {}

    def broken_index(database, act_id, units):
        seen["units_written"] = database.execute("SELECT COUNT(*) FROM units WHERE act_id = ?",
                                                  [act_id]).fetchone()[0]
        raise RuntimeError("disk full")

    monkeypatch.setattr(acts_mod, "_index_units", broken_index)
    with pytest.raises(RuntimeError):  # inside the caller's transaction
        add(db, small_act("second.md"))
    assert seen.pop("units_written") == 5  # the failure came after the units were inserted
    assert counts(db) == before

    sha, rel = store_blob(db, b"third")
    record_file(db, sha256=sha, name="third.md", size=5, fmt="md", stored_path=rel)  # committed
    with pytest.raises(RuntimeError):  # save_act's own transaction
        save_act(db, small_act("third.md"), sha)
    assert seen["units_written"] == 5
    assert counts(db) == {**before, "files": before["files"] + 1}


def test_a_later_file_of_the_same_act_is_its_next_version(db):
    meta = {"act_type": "приказ", "number": "107", "date": "2020-06-19", "issuer": "Министр юстиции"}
    first = add(db, small_act("a.md", **meta))
    other = add(db, small_act("unrelated.md"))
    second = add(db, small_act("b.docx", **meta), b"different bytes")
    third = add(db, small_act("c.pdf", **meta), b"more different bytes")
    assert get_act(db, second)["version_of"] == first
    assert get_act(db, third)["version_of"] == second
    assert get_act(db, other)["version_of"] is None
    assert [v["id"] for v in act_versions(db, first)] == [first, second, third]
    assert [v["id"] for v in act_versions(db, third)] == [first, second, third]
    assert {r["id"]: r["is_latest"] for r in list_acts(db)} == {first: False, other: True, second: False, third: True}
    assert [r["id"] for r in list_acts(db, latest_only=True)] == [other, third]


def test_a_file_that_names_the_issuer_and_one_that_does_not_are_versions_of_one_act(db):
    meta = {"act_type": "постановление", "number": "785", "date": "2018-10-30"}
    bare = add(db, small_act("old.pdf", **meta))  # the issuer was not read from this file
    named = add(db, small_act("new.docx", issuer="Совет Министров Республики Беларусь", **meta), b"v2")
    again = add(db, small_act("newer.pdf", **meta), b"v3")
    assert get_act(db, named)["version_of"] == bare and get_act(db, again)["version_of"] == named
    # two different issuers of a same-numbered act on the same day stay two acts
    other = add(db, small_act("x.docx", issuer="Министерство энергетики", **meta), b"v4")
    assert get_act(db, other)["version_of"] is None


def test_act_identity_uses_metadata_else_the_file_name():
    meta = {"act_type": "Приказ", "number": "107", "date": "2020-06-19", "issuer": "Министр юстиции РК"}
    assert act_key(small_act("x.md", **meta)) == act_key(small_act("y.pdf", **{**meta, "act_type": "приказ"}))
    assert act_key(small_act("x.md", **meta)) != act_key(small_act("x.md", **{**meta, "number": "108"}))
    assert act_key(small_act("x.md", **meta)) != act_key(small_act("x.md", language="kk", **meta))
    assert act_key(small_act("Правила Услуги.docx")) == act_key(small_act("правила  услуги.PDF"))
    assert act_key(small_act("pravila_a.md")) != act_key(small_act("pravila_b.md"))


# --- the blob store -----------------------------------------------------------------------


def test_stored_blob_is_byte_identical_to_the_input(db):
    data = KZ_107.read_bytes()
    sha, rel = store_blob(db, data)
    assert sha == hashlib.sha256(data).hexdigest()
    path = blob_path(db, sha)
    assert path == Path(db.execute("PRAGMA database_list").fetchone()[2]).parent / rel
    assert path.parent.name == sha[:2] and path.name == sha
    assert hashlib.sha256(read_blob(db, sha)).hexdigest() == sha
    assert store_blob(db, data) == (sha, rel)  # again: same place, no error
    assert [p.name for p in path.parent.iterdir()] == [sha]  # no temporary files left behind


# --- search -------------------------------------------------------------------------------


def test_search_finds_other_grammatical_forms(db):
    act_id = add(db, small_act())
    hits = search_units(db, "заявление")
    assert [(h["act_id"], h["uid"]) for h in hits] == [(act_id, "u2")]
    assert [h["uid"] for h in search_units(db, "ЗАЯВЛЕНИЯМИ услугодателя")] == ["u2"]
    assert search_units(db, "заявление отсутствует") == []


def test_search_treats_yo_and_ye_alike(db):
    add(db, small_act())
    assert [h["uid"] for h in search_units(db, "емкость")] == ["u3"]
    assert [h["uid"] for h in search_units(db, "ёмкости")] == ["u3"]
    assert [h["uid"] for h in search_units(db, "изменен")] == ["u5"]


def test_search_on_real_acts_can_be_limited_to_one_act(db):
    kz = add(db, parse_file(KZ_107), KZ_107.read_bytes())
    ru = add(db, parse_file(RU_146), RU_146.read_bytes())
    everywhere = {h["act_id"] for h in search_units(db, "государственный", limit=1000)}
    assert everywhere == {kz, ru}
    assert {h["act_id"] for h in search_units(db, "государственный", act_id=ru, limit=1000)} == {ru}


@pytest.mark.parametrize("query", ['"', "OR", "NEAR(a b)", "units_fts:x", "*", "", "  "])
def test_search_never_reads_user_input_as_query_syntax(db, query):
    add(db, small_act())
    assert isinstance(search_units(db, query), list)


def _act_with(file: str, texts: list[str]) -> Act:
    return Act(file=file, format="md", units=[Unit(f"u{i + 1}", None, "paragraph", f"{i + 1}.", t)
                                              for i, t in enumerate(texts)])


@pytest.mark.parametrize("acts_in_match", [True, False], ids=["acts-in-match", "act-id-filter"])
def test_search_within_some_acts_finds_their_matches_however_many_others_rank_higher(
        db, monkeypatch, acts_in_match):
    if not acts_in_match:  # the path taken for a long list of acts
        monkeypatch.setattr(acts_mod, "ACTS_IN_MATCH_MAX", 0)
    padding = "прочие положения настоящих правил применяются в порядке установленном законодательством " * 3
    mine = add(db, _act_with("mine.md", ["Общие положения.", padding + "заявление подается письменно."]))
    theirs = [add(db, _act_with(f"other{i}.md", ["Заявление.", "Заявление и заявление."])) for i in range(30)]
    best_everywhere = search_units(db, "заявление", limit=10)
    assert mine not in {h["act_id"] for h in best_everywhere}  # outranked by every other act

    hits = search_units(db, "заявлением", act_ids=[mine], limit=1)
    assert [(h["act_id"], h["uid"]) for h in hits] == [(mine, "u2")]
    two = search_units(db, "заявление", act_ids={mine, theirs[7]}, limit=50)
    assert {h["act_id"] for h in two} == {mine, theirs[7]} and len(two) == 3
    assert search_units(db, "заявление", act_ids=[mine], act_id=theirs[0]) == []
    assert search_units(db, "отсутствует", act_ids=[mine]) == []


def test_search_does_not_require_prepositions_and_conjunctions_but_keeps_particles(db):
    add(db, _act_with("a.md", ["Отказ заявителю в оказании услуги.", "Оказание услуги без отказа.",
                               "Повторная подача не допускается.", "Повторная подача допускается."]))
    # "в" is not required: the clause says "в оказании", the query "по оказанию" still finds it
    assert [h["uid"] for h in search_units(db, "отказ по оказанию")] in (["u1", "u2"], ["u2", "u1"])
    assert fts_query("отказ в оказании") == '"отказ" "оказание"'
    assert [h["uid"] for h in search_units(db, "не допускается")] == ["u3"]  # "не" is the point
    assert fts_query("и или в") == '"и" "или" "в"'  # nothing else asked: they are the query
    assert fts_query("без доверенности") == '"без" "доверенность"'  # "без" changes what is asked


def test_plain_reads_and_the_librarys_guarded_queries_give_the_same_rows(db):
    add(db, small_act())
    plain = list(db.query("SELECT uid, label FROM units ORDER BY seq"))
    assert plain and plain == [{"uid": r[0], "label": r[1]} for r in
                               db.execute("SELECT uid, label FROM units ORDER BY seq").fetchall()]
    # two columns of one name are renamed by sqlite-utils, not silently merged
    assert list(db.query("SELECT 1 AS x, 2 AS x")) == [{"x": 1, "x_2": 2}]
    with pytest.raises(ValueError):  # a write is still refused by query(), and has no effect
        db.query("WITH t AS (SELECT 1) DELETE FROM units")
    assert db.execute("SELECT COUNT(*) FROM units").fetchone()[0] == len(plain)


def test_search_within_no_acts_finds_nothing(db):
    add(db, small_act())
    assert search_units(db, "заявление", act_ids=[]) == []
    assert search_units(db, "заявление", act_ids=set()) == []


def test_search_results_are_ranked_best_first_within_the_limit(db):
    long_one = add(db, _act_with("long.md", ["Срок " + "и прочие условия " * 20 + "заявления."]))
    short_one = add(db, _act_with("short.md", ["Форма заявления."]))
    hits = search_units(db, "заявление", limit=1)
    assert [h["act_id"] for h in hits] == [short_one]
    both = search_units(db, "заявление")
    assert [h["act_id"] for h in both] == [short_one, long_one]
    assert both[0]["score"] <= both[1]["score"]


def test_a_database_replaced_at_the_same_path_is_brought_up_to_date(tmp_path):
    path = tmp_path / "norma.db"
    open_db(path).close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    sqlite3.connect(path).close()  # an empty file where the migrated database was
    again = open_db(path)
    assert applied_migrations(again) == migration_names()
    act_id = add(again, small_act())
    assert [h["act_id"] for h in search_units(again, "заявление")] == [act_id]


def test_upgrading_a_stored_database_keeps_search_and_counts_its_clauses(tmp_path):
    """A database made before the `act` search column and the stored clause counts (m040, m041)."""
    from tracker.campaigns import clause_units
    from tracker.db import lemma_text, migrations

    path = tmp_path / "old.db"
    old = sqlite_utils_db(path)
    migrations.apply(old, stop_before="m040_search_within_acts")
    act = parse_file(KZ_107)
    sha, rel = store_blob(old, KZ_107.read_bytes())
    with old.atomic():
        record_file(old, sha256=sha, name=KZ_107.name, size=1, fmt="md", stored_path=rel)
        act_id = old.execute("INSERT INTO acts(file_sha256, act_key, language, format, created_at)"
                             " VALUES (?, 'file:old', 'ru', 'md', '2025-01-01')", [sha]).lastrowid
        for seq, u in enumerate(act.units):  # as tracker.acts wrote units and the index then
            old.execute("INSERT INTO units(act_id, seq, uid, parent_uid, kind, label, text, role)"
                        " VALUES (?,?,?,?,?,?,?,?)", [act_id, seq, u.id, u.parent, u.kind, u.label, u.text, u.role])
            old.execute("INSERT INTO units_fts(act_id, uid, lemmas) VALUES (?,?,?)",
                        [act_id, u.id, lemma_text(" ".join(filter(None, [u.label, u.text])))])
        agency = old.execute("INSERT INTO agencies(name, name_key, created_at) VALUES ('A', 'a', 'x')").lastrowid
        cid = old.execute("INSERT INTO campaigns(name, country, instruction_date, deadline, created_at)"
                          " VALUES ('C', 'KZ', '2025-03-03', '2025-04-03', 'x')").lastrowid
        old.execute("INSERT INTO assignments(campaign_id, act_id, agency_id, assigned_at) VALUES (?,?,?,'x')",
                    [cid, act_id, agency])
        first_units = [u.id for u in act.units[:6]]  # headings and clauses: only clauses count
        for uid in first_units:
            old.execute("INSERT INTO verdicts(campaign_id, act_id, uid, verdict, updated_at)"
                        " VALUES (?,?,?,'keep','x')", [cid, act_id, uid])
    old.close()

    db = open_db(path)
    clauses = {u["uid"] for u in clause_units(db, act_id)}
    assert db.execute("SELECT clause_count FROM acts WHERE id = ?", [act_id]).fetchone()[0] == len(clauses) > 20
    reviewed = db.execute("SELECT clauses_reviewed FROM assignments").fetchone()[0]
    assert reviewed == len(clauses & set(first_units)) > 0
    assert reviewed < len(first_units)  # the title and headings among them are not clauses
    hits = search_units(db, "государственной услуги", act_ids=[act_id], limit=1000)
    assert hits and {h["act_id"] for h in hits} == {act_id}
    assert len(hits) == len(search_units(db, "государственной услуги", limit=1000))


def sqlite_utils_db(path: Path):
    import sqlite_utils

    return sqlite_utils.Database(path)


def test_search_words_never_match_the_acts_own_tokens(db):
    act_id = add(db, small_act())
    assert search_units(db, f"a{act_id}") == []
    assert search_units(db, f"act : a{act_id}") == []
