"""Dates as users in Kazakhstan and Kyrgyzstan read and type them: dd.mm.yyyy.

Storage keeps ISO dates (yyyy-mm-dd) and UTC timestamps; only what is shown to a
person or typed by one goes through here.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Local time of each country, for timestamps shown in exports (stored as UTC).
TIMEZONES = {"KZ": "Asia/Almaty", "KG": "Asia/Bishkek"}


def now_utc() -> str:
    """The current time as stored everywhere in tracker: UTC, ISO 8601, seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def fmt_date(value: date | str | None) -> str:
    """A date (or ISO string) as dd.mm.yyyy; '' for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d.%m.%Y")


def parse_date(text: str | date) -> date:
    """A date typed as dd.mm.yyyy (or ISO yyyy-mm-dd, as an <input type=date> sends it).

    Raises ValueError naming the expected form, so a form or the CLI can show it.
    """
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    raw = (text or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {raw!r} (expected dd.mm.yyyy)")


def fmt_datetime(stamp: str | datetime | None, country: str = "KZ") -> str:
    """A stored UTC timestamp as dd.mm.yyyy HH:MM in the country's local time; '' for None."""
    if not stamp:
        return ""
    moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(ZoneInfo(TIMEZONES.get(country, "UTC")))
    except ZoneInfoNotFoundError:  # a system without tzdata: show UTC rather than fail
        moment = moment.astimezone(UTC)
    return moment.strftime("%d.%m.%Y %H:%M")
