"""`python -m tracker`: the command line (click).

Every command that reads a file turns a `ParseError` into `error: FILE: reason`
on standard error and exit status 2 (../shared/CONTRACT.md); no traceback
reaches the user.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from parsers import ParseError, parse_file


def _fail(path: str, message: str) -> None:
    click.echo(f"error: {path}: {message}", err=True)
    sys.exit(2)


def _dump(obj: dict) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=1))


def _parse_or_fail(path: str):
    try:
        return parse_file(path)
    except ParseError as exc:
        _fail(path, str(exc))
    except Exception as exc:  # noqa: BLE001 - the contract forbids tracebacks
        _fail(path, f"cannot be read ({type(exc).__name__}: {exc})")


@click.group()
def main() -> None:
    """Norma: review departmental regulatory acts against proposed measures."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the act as JSON (CONTRACT.md).")
def parse(file: str, as_json: bool) -> None:
    """Parse FILE (DOCX, PDF, TXT, MD, HTML, RTF) into its numbered structure."""
    act = _parse_or_fail(file)
    if as_json:
        _dump(act.to_dict())
        return
    click.echo(f"{act.file}: {act.act_type or '-'} № {act.number or '-'} от {act.date or '-'}")
    click.echo(f"  {act.title or '(no title)'}")
    by_id = {u.id: u for u in act.units}
    for u in act.units:
        depth, p = 0, u.parent
        while p:
            depth, p = depth + 1, by_id[p].parent
        click.echo(f"{'  ' * depth}{u.label or '·'} {u.text[:90]}")
    for w in act.warnings:
        click.echo(f"warning: {w}", err=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the act with each unit's facts as JSON (CONTRACT.md).")
def extract(file: str, as_json: bool) -> None:
    """Parse FILE and find each clause's modality, addressee, deadlines, documents and fee."""
    act = _parse_or_fail(file)
    from nlp.burden import summarise  # noqa: PLC0415 - keeps `parse` free of the NLP stack
    from nlp.extract import annotate_act, merge_facts  # noqa: PLC0415

    facts = annotate_act(act)
    if as_json:
        _dump(merge_facts(act, facts))
        return
    for u in act.units:
        f = facts.get(u.id, {})
        marks = []
        if f.get("modality") not in (None, "other"):
            marks.append(f"{f['modality']}/{f.get('addressee') or '-'}")
        marks += [d.get("text", "") for d in f.get("deadlines", [])]
        if f.get("documents"):
            marks.append(f"документы: {len(f['documents'])}")
        if f.get("fee"):
            marks.append("плата")
        if marks:
            click.echo(f"{u.label or '·'} {'; '.join(marks)}")
    b = summarise(act, facts)
    r, t = b["requirements"], b["decision_time"]
    click.echo(f"requirements {r['total']} (applicant {r['applicant']}, authority {r['authority']}); "
               f"documents {b['documents_count']}; fees {b['fee_count']}; "
               f"decision time longest {t['longest']['days'] if t['longest'] else '-'} d, total {t['total_days']} d")


# --- the database: `--db` and the commands that store acts ---------------------------------
# tracker's storage modules are imported inside the commands so that `parse` does not load them.


def _db_option(func):
    """Add `--db FILE` to a command that uses the database."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="SQLite database file (default: $NORMA_DB, else instance/norma.db).")(func)


def _open_db(db_path: Path | None):
    """Open the database (creating and migrating it), or `error: DB: reason`, exit 2."""
    import sqlite3

    from tracker.db import default_db_path, open_db

    path = db_path or default_db_path()
    try:
        return open_db(path)
    except (sqlite3.Error, OSError) as exc:
        _fail(str(path), f"cannot open the database ({exc})")


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--no-analysis", is_flag=True,
              help="Store the structure only: no extraction of facts, no links to measures.")
@_db_option
def import_(paths: tuple[Path, ...], db_path: Path | None, no_analysis: bool) -> None:
    """Import act files and folders (searched recursively) into the database.

    Folders contribute .docx .pdf .txt .md .html .htm .rtf files; other files are
    listed as skipped. The same bytes imported again change nothing ("unchanged");
    a new file of a stored act (same type, number, date and issuer, else the same
    file name) is kept as that act's next version. A file that cannot be read is
    reported as `error: FILE: reason`, leaves the database untouched, and the
    other files are still imported. Each new act gets its facts (modality, deadlines,
    documents, fees), its burden summary and proposed links to the measures loaded
    with `measures import`, unless --no-analysis.

    Exit status: 0 when at least one file was imported or already stored, even if
    others failed; 2 when every file failed or no file was found.
    """
    from tracker.analysis import analyse
    from tracker.importer import expand_paths, import_paths

    db = _open_db(db_path)
    analysis = {} if no_analysis else {"extract": analyse, "link": True}
    total = len(expand_paths(paths)[0])
    with click.progressbar(length=total, label="Importing", file=sys.stderr,
                           item_show_func=lambda p: p.name if p else None) as bar:
        report = import_paths(db, paths, on_progress=lambda _done, _total, p: bar.update(1, p), **analysis)
    for e in report.imported + report.versions:
        if e.reason:
            click.echo(f"warning: {e.path}: {e.reason}", err=True)
    for e in report.skipped:
        click.echo(f"skipped: {e.path}: {e.reason}", err=True)
    for e in report.failed:
        click.echo(f"error: {e.path}: {e.reason}", err=True)
    summary = (f"{len(report.imported)} imported, {len(report.unchanged)} unchanged, "
               f"{len(report.versions)} new versions, {len(report.failed)} failed")
    if report.skipped:
        summary += f", {len(report.skipped)} skipped"
    click.echo(summary)
    if report.nothing_succeeded:
        sys.exit(2)


@main.group("measures")
def measures_() -> None:
    """The proposed measures clauses are reviewed against."""


@measures_.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default=None, help="Where the measures come from (shown beside each one).")
@_db_option
def measures_import(file: str, source: str | None, db_path: Path | None) -> None:
    """Load measures from JSON, CSV or a plan-of-measures table (DOCX, PDF, MD, HTML).

    A measure with an id already stored is updated.
    """
    from tracker.measures import load_measures, save_measures

    try:
        measures = load_measures(file, source=source)
    except ParseError as exc:
        _fail(file, str(exc))
    if not measures:
        _fail(file, "no measures found")
    db = _open_db(db_path)
    click.echo(f"{save_measures(db, measures)} measures stored")


@measures_.command("list")
@_db_option
def measures_list(db_path: Path | None) -> None:
    """List the stored measures."""
    from tracker.measures import list_measures

    for m in list_measures(_open_db(db_path)):
        click.echo(f"{m.id:6} {m.ru}")


@main.command("demo")
@_db_option
def demo(db_path: Path | None) -> None:
    """Load the sample acts, the measures, agencies, users and a campaign (idempotent).

    New users get random passwords, printed once and kept in the instance folder
    (demo-users.txt, readable by the owner only).
    """
    from tracker.demo import load_demo

    db = _open_db(db_path)
    for line in load_demo(db):
        click.echo(line)


@main.command("acts")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the acts as a JSON list.")
def acts_(db_path: Path | None, as_json: bool) -> None:
    """List the stored acts, oldest import first; `vN` marks a later version of act N."""
    from tracker.acts import list_acts

    rows = list_acts(_open_db(db_path))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        version = f"v{r['version_of']}" if r["version_of"] else ""
        click.echo(f"{r['id']:>5} {version:<6} {r['act_type'] or '-'} № {r['number'] or '-'} "
                   f"от {r['date'] or '-'}  {r['unit_count']} units  {r['file_name']}")
        click.echo(f"{'':>12}{(r['title'] or '(no title)')[:100]}")


@main.command("search-index")
@_db_option
def search_index(db_path: Path | None) -> None:
    """Bring every agency's own search index up to date with its assigned acts now.

    The server's job threads do the same in the background within seconds of a change of
    assignments; until then an agency's searches use the index of all acts (same clauses, slower).
    """
    from tracker.search_index import refresh_stale

    db = _open_db(db_path)
    changed = refresh_stale(db)
    total = db.execute("SELECT COUNT(*) FROM agency_search_indexes").fetchone()[0]
    click.echo(f"agency search indexes: {len(changed)} rebuilt or dropped, {total} in all")


# --- the web interface ------------------------------------------------------------------------


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on (0: any free one).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Worker processes (default: one per CPU core, at least 2).")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Threads per worker process: they overlap waits (a slow client, a locked database);"
                   " more of them only contend for the process's one core.")
@click.option("--dev", is_flag=True,
              help="Development: werkzeug's server, one process, restarted when the code changes.")
@_db_option
def serve(host: str, port: int, workers: int | None, threads: int, dev: bool, db_path: Path | None) -> None:
    """Run the web interface until Ctrl+C: gunicorn with several worker processes.

    One Python process runs Python on one core at a time (the GIL), and a page costs
    milliseconds of CPU: worker processes let requests use every core. The app is built
    and warmed up once, then the workers are forked from it, so all of them are ready at
    the same moment. Each worker also runs the import job thread; a job is claimed in one
    write transaction, so two workers never import the same file. The first visit offers
    to create the administrator when the database has no user yet.
    """
    import os
    import socket

    from tracker.db import default_db_path

    path = db_path or default_db_path()
    _open_db(path).close()  # a bad --db fails here with `error: DB: reason`, not a traceback
    config = {"DATABASE": str(path)}
    if dev:
        _serve_dev(host, port, config)
        return
    # Bound here, before gunicorn starts, so that the line below can name the port even for --port 0.
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        _fail(f"{host}:{port}", f"cannot listen ({exc})")
    workers = workers or max(2, os.cpu_count() or 1)
    click.echo(f"Norma: http://{host}:{sock.getsockname()[1]}/  (database {path}; {workers} processes"
               f" x {threads} threads; Ctrl+C to stop)")
    from tracker.server import NormaServer

    NormaServer(config, {
        "bind": [f"fd://{sock.fileno()}"], "workers": workers, "threads": threads,
        "proc_name": "norma", "loglevel": "warning", "accesslog": None,
        "timeout": 120, "graceful_timeout": 10,
    }).run()
    sock.close()


def _serve_dev(host: str, port: int, config: dict) -> None:
    """werkzeug's threaded server with the reloader; only the serving child runs the job thread."""
    import os

    from werkzeug.serving import run_simple

    from web import create_app

    child = os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    app = create_app({**config, "START_WORKER": child})
    if not child:
        click.echo(f"Norma (development): http://{host}:{port}/  (database {config['DATABASE']}; Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=True)


# --- people, agencies and campaigns -----------------------------------------------------------


def _refuse(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@main.group("user")
def user_() -> None:
    """Accounts: admins, lawyers, agency reviewers and viewers."""


@user_.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "lawyer", "agency", "viewer"]))
@click.option("--agency", "agency_name", default=None, help="Agency name (required for --role agency).")
@click.option("--name", default="", help="Full name shown in the audit trail.")
@click.option("--lang", default="ru", show_default=True, type=click.Choice(["ru", "kk", "ky", "en"]))
@click.option("--password-env", default=None, metavar="VAR",
              help="Read the password from this environment variable (else you are asked).")
@_db_option
def user_add(email: str, role: str, agency_name: str | None, name: str, lang: str, password_env: str | None,
             db_path: Path | None) -> None:
    """Create a user who logs in with EMAIL."""
    import os

    from tracker.users import create_user, find_agency

    db = _open_db(db_path)
    agency_id = None
    if agency_name:
        agency = find_agency(db, agency_name)
        if agency is None:
            _refuse(f"no agency named {agency_name!r} (add it with `agency add`)")
        agency_id = agency["id"]
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            _refuse(f"the environment variable {password_env} is empty or not set")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        uid = create_user(db, email, password, role, agency_id=agency_id, name=name, lang=lang)
    except ValueError as exc:
        _refuse(str(exc))
    click.echo(f"user {uid}: {email.strip().casefold()} ({role})")


@user_.command("list")
@_db_option
def user_list(db_path: Path | None) -> None:
    """List the users."""
    from tracker.users import list_users

    for u in list_users(_open_db(db_path)):
        click.echo(f"{u['id']:>4} {u['email']:<32} {u['role']:<7} {u['agency'] or '':<30}"
                   f"{'' if u['active'] else ' (disabled)'}")


@main.group("agency")
def agency_() -> None:
    """State bodies that review the acts assigned to them."""


@agency_.command("add")
@click.argument("name")
@click.option("--email", default=None, help="Address for reminders.")
@_db_option
def agency_add(name: str, email: str | None, db_path: Path | None) -> None:
    """Create an agency called NAME."""
    from tracker.users import create_agency

    try:
        aid = create_agency(_open_db(db_path), name, email=email)
    except ValueError as exc:
        _refuse(str(exc))
    click.echo(f"agency {aid}: {name}")


@agency_.command("list")
@_db_option
def agency_list(db_path: Path | None) -> None:
    """List the agencies."""
    from tracker.users import list_agencies

    for a in list_agencies(_open_db(db_path)):
        click.echo(f"{a['id']:>4} {a['name']:<50} {a['email'] or ''}")


@main.group("campaign")
def campaign_() -> None:
    """Review campaigns: an instruction, a deadline, acts assigned to agencies."""


@campaign_.command("add")
@click.argument("name")
@click.option("--instruction-date", required=True, metavar="DD.MM.YYYY", help="Date of the instruction.")
@click.option("--deadline", default=None, metavar="DD.MM.YYYY",
              help="Default: one calendar month after the instruction date.")
@click.option("--country", default="KZ", show_default=True, type=click.Choice(["KZ", "KG"]),
              help="Whose public holidays count for working days.")
@_db_option
def campaign_add(name: str, instruction_date: str, deadline: str | None, country: str,
                 db_path: Path | None) -> None:
    """Create a campaign called NAME."""
    from tracker.campaigns import create_campaign, get_campaign
    from tracker.dates import fmt_date, parse_date

    db = _open_db(db_path)
    try:
        cid = create_campaign(db, name, parse_date(instruction_date), country=country,
                              deadline=parse_date(deadline) if deadline else None)
    except ValueError as exc:
        _refuse(str(exc))
    c = get_campaign(db, cid)
    click.echo(f"campaign {cid}: {c['name']} ({c['country']}), instruction {fmt_date(c['instruction_date'])}, "
               f"deadline {fmt_date(c['deadline'])}")


@campaign_.command("list")
@_db_option
def campaign_list(db_path: Path | None) -> None:
    """List the campaigns, newest first."""
    from tracker.campaigns import list_campaigns
    from tracker.dates import fmt_date

    for c in list_campaigns(_open_db(db_path)):
        click.echo(f"{c['id']:>4} {c['country']} {fmt_date(c['instruction_date'])} -> {fmt_date(c['deadline'])}"
                   f"  {c['acts']} acts  {c['name']}")


# --- linking clauses to proposed measures (tracker.measures, nlp.linker) -----------------------


@main.command("link")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--measures", "measures_path", required=True, type=click.Path(dir_okay=False),
              help="Measures: JSON list of {id, ru, en}, CSV, or a plan table (DOCX, MD, HTML ...).")
@click.option("--json", "as_json", is_flag=True, help="Print the act with facts and measures as JSON.")
def link(file: str, measures_path: str, as_json: bool) -> None:
    """Propose, for each clause of FILE, the measures it bears on, with a score and the reason."""
    from nlp.extract import annotate_act, merge_facts
    from nlp.linker import link_units
    from tracker.measures import load_measures

    try:
        measures = [m.to_dict() for m in load_measures(measures_path)]
    except ParseError as exc:
        _fail(measures_path, str(exc))
    act = _parse_or_fail(file)
    data = merge_facts(act, annotate_act(act))     # exactly what `extract --json` prints
    units = data["units"]
    for u, links in zip(units, link_units(units, measures), strict=True):
        u["measures"] = links
    if as_json:
        _dump(data)
        return
    for u in units:
        for m in u["measures"]:
            click.echo(f"{u['label'] or u['id']:>10}  {m['id']:<5} {m['score']:.2f}  {m['why']}")


# --- mail: scheduled reports and the test message (tracker.reminders) ---------------------------


def _mail_setup():
    """(MailSettings, Schedule) from mail.toml and the environment, or `error: mail settings: ...`."""
    from tracker.mail import MailConfigError, MailSettings, load_config
    from tracker.reminders import Schedule

    try:
        cfg = load_config()
        return MailSettings.from_config(cfg), Schedule.from_config(cfg)
    except (MailConfigError, ValueError) as exc:
        _fail("mail settings", str(exc))


@main.command("remind")
@_db_option
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="Act as if it were this time (server-local unless it has an offset), e.g. 2025-03-28T09:00.")
def remind(db_path: Path | None, now_text: str | None) -> None:
    """Send the reminders, overdue notices and weekly summaries due now; retry failed ones.

    Safe to run from cron every few minutes, also twice at once: the send log sends a
    message at most once. Prints a summary when something happened; failures go to
    standard error. Exit status 1 when a message failed, waits for a retry or is
    possibly sent (a person decides in the app's send log), else 0.
    """
    from tracker.reminders import parse_now, run_due

    settings, schedule = _mail_setup()
    try:
        now = parse_now(now_text) if now_text else None
    except ValueError as exc:
        _fail("--now", str(exc))
    report = run_due(_open_db(db_path), settings, schedule, now)
    for line in report.errors:
        click.echo(f"error: {line}", err=True)
    if report.planned or report.sent or report.errors or report.possibly_sent:
        click.echo(report.summary())
    if report.failed or report.retry or report.possibly_sent:
        sys.exit(1)


@main.command("mail-test")
@click.argument("to")
@click.option("--lang", default=None, type=click.Choice(["ru", "en"]), help="Language of the message.")
@_db_option
def mail_test(to: str, lang: str | None, db_path: Path | None) -> None:
    """Send a test message to TO with the configured SMTP settings (logged in the send log)."""
    from tracker.reminders import send_test_message

    settings, _schedule = _mail_setup()
    try:
        row = send_test_message(_open_db(db_path), settings, to, lang=lang)
    except ValueError as exc:
        _fail(to, str(exc))
    if row["status"] != "sent":
        _fail(to, row["last_error"] or row["status"])
    click.echo(f"sent to {row['recipient']} via {settings.host}:{settings.port} ({settings.security})")
