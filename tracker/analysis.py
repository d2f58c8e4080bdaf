"""What happens to an act after it is parsed: extraction, burden summary, measure links.

The importer, the upload worker and the demo loader all call these two functions,
so an act stored by any route carries the same facts and proposals.
"""
from __future__ import annotations

from typing import Any

import sqlite_utils

from parsers.model import Act


def analyse(act: Act) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Facts per unit (modality, addressee, deadlines, documents, fee, references) and the burden."""
    from nlp.burden import summarise  # the NLP stack loads on first use, not at import
    from nlp.extract import annotate_act

    facts = annotate_act(act)
    return facts, summarise(act, facts)


def link_stored_act(db: sqlite_utils.Database, act_id: int) -> dict[str, int] | None:
    """Propose measure links for a stored act against the measures in the database.

    Returns the linker's counts, or None when no measures are loaded yet. Decisions
    lawyers already made are kept (tracker.links.store_proposals).
    """
    from tracker.links import link_act
    from tracker.measures import list_measures

    measures = [m.to_dict() for m in list_measures(db)]
    if not measures:
        return None
    return link_act(db, act_id, measures)
