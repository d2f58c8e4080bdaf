"""A few seconds of memory for the campaign progress figures the dashboard shows on every visit.

tracker.campaigns.progress counts the clauses and verdicts of every assigned act; with
thousands of acts that is ~0.2 s of CPU, and the dashboard is the page everybody opens.
The figures are kept per campaign for PROGRESS_CACHE_SECONDS (default 5) and dropped at
once when this process finishes an act, assigns acts or changes the deadline. The server
runs several processes, each with its own cache: campaign_figures puts tracker.campaigns.progress_stamp
(deadline, assignments, finished acts; one row) in the key, so such a change made
through any process shows at once everywhere. Verdicts do not change the stamp (with many
reviewers at work that would recompute the figures on nearly every view): the bars lag a
verdict by at most those seconds, while the review page, which is not cached, shows it at once.
One thread computes a missing entry while the others wait for it (no stampede). Hand-written rather than a
caching library: a dict, a lock and a clock are all it takes, and invalidation by
campaign is the part that matters.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app

_lock = threading.Lock()
_store: dict[tuple, tuple[float, Any]] = {}
_computing: dict[tuple, threading.Lock] = {}


def cached(kind: str, cid: int, key: tuple, compute: Callable[[], Any]) -> Any:
    """compute() at most once per PROGRESS_CACHE_SECONDS for (database, kind, campaign, key)."""
    ttl = float(current_app.config.get("PROGRESS_CACHE_SECONDS", 5))
    if ttl <= 0:
        return compute()
    full = (current_app.config["DATABASE"], kind, cid, key)
    with _lock:
        hit = _store.get(full)
        key_lock = _computing.setdefault(full, threading.Lock())
    if hit and hit[0] > time.monotonic():
        return hit[1]
    with key_lock:
        with _lock:
            hit = _store.get(full)
        if hit and hit[0] > time.monotonic():  # another thread computed it while we waited
            return hit[1]
        value = compute()
        now = time.monotonic()
        with _lock:
            _store[full] = (now + ttl, value)
            if len(_store) > 1000:  # old campaigns and days: drop what has expired
                for k in [k for k, (exp, _v) in _store.items() if exp <= now]:
                    del _store[k]
                    _computing.pop(k, None)
    return value


@dataclass
class Figures:
    """A campaign's progress per agency (tracker.campaigns.progress) and its overdue acts
    (overdue_acts), cached together. An agency's own share is filtered once per entry (a
    campaign may have thousands of overdue acts) and goes when the entry goes, so it is
    never older than the figures themselves."""

    progress: list[dict[str, Any]]
    overdue: list[dict[str, Any]]
    by_agency: dict[int, tuple[list, list]] = field(default_factory=dict)
    drawn: dict[tuple, Any] = field(default_factory=dict)

    def html(self, key: tuple, draw: Callable[[], Any]) -> Any:
        """draw() once per `key` (what the drawing shows besides these figures) for this entry."""
        if key not in self.drawn:  # two threads may both draw: same result, no harm
            self.drawn[key] = draw()
        return self.drawn[key]

    def of(self, agency: int | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(progress, overdue) of one agency; of every agency for None."""
        if agency is None:
            return self.progress, self.overdue
        mine = self.by_agency.get(agency)
        if mine is None:  # two threads may both filter: same result, no harm
            mine = self.by_agency[agency] = ([p for p in self.progress if p["agency_id"] == agency],
                                             [a for a in self.overdue if a["agency_id"] == agency])
        return mine


def campaign_figures(db: Any, cid: int, today: date) -> Figures:
    """The campaign's Figures as of `today`, computed at most once per PROGRESS_CACHE_SECONDS
    unless tracker.campaigns.progress_stamp moved (see the module's docstring)."""
    from tracker.campaigns import overdue_acts, progress, progress_stamp

    stamp = progress_stamp(db, cid)  # finished acts, assignments, deadline: never stale, any process
    return cached("figures", cid, (today, stamp), lambda: Figures(progress(db, cid, today),
                                                                  overdue_acts(db, cid, today)))


def invalidate(cid: int) -> None:
    """Forget every figure of this campaign (after a write that changes them)."""
    db = current_app.config["DATABASE"]
    with _lock:
        for k in [k for k in _store if k[0] == db and k[2] == cid]:
            del _store[k]


class Memo:
    """A bounded least-recently-used memory for values that never go stale under their key.

    For the act page's clause tree and search results: the key holds everything the value
    depends on (database, act or query, language, a stamp of what may change), so no
    invalidation is needed, only a bound on memory. Hand-written for the same reason as
    above (an OrderedDict and a lock); each server process keeps its own.
    """

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The value under `key`, computed (outside the lock) and kept if missing."""
        if not current_app.config.get("RENDER_CACHE", True):
            return compute()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # two threads may both compute a missing value: same result, no harm
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
