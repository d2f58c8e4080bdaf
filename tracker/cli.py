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
@_db_option
def import_(paths: tuple[Path, ...], db_path: Path | None) -> None:
    """Import act files and folders (searched recursively) into the database.

    Folders contribute .docx .pdf .txt .md .html .htm .rtf files; other files are
    listed as skipped. The same bytes imported again change nothing ("unchanged");
    a new file of a stored act (same type, number, date and issuer, else the same
    file name) is kept as that act's next version. A file that cannot be read is
    reported as `error: FILE: reason`, leaves the database untouched, and the
    other files are still imported.

    Exit status: 0 when at least one file was imported or already stored, even if
    others failed; 2 when every file failed or no file was found.
    """
    from tracker.importer import expand_paths, import_paths

    db = _open_db(db_path)
    total = len(expand_paths(paths)[0])
    with click.progressbar(length=total, label="Importing", file=sys.stderr,
                           item_show_func=lambda p: p.name if p else None) as bar:
        report = import_paths(db, paths, on_progress=lambda _done, _total, p: bar.update(1, p))
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
