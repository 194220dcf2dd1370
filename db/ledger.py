"""The claims ledger: every figure read from a matched item, kept with its history."""

from __future__ import annotations

import json
from datetime import datetime

from bot.models import Claim, LedgerEntry
from db.connection import from_iso, utc_now_iso

CLAIM_FIELDS = ("metric", "value", "low", "high", "qualifier", "vague", "who", "source", "source_text", "quote",
                "start", "end")


def item_has_claims(db, item_id: int, revision: int) -> bool:
    row = db.execute("select 1 from claims where item_id = ? and revision = ? limit 1", [item_id, revision]).fetchone()
    return row is not None


def store_claims(db, item_id: int, *, revision: int, claims: list[Claim]) -> None:
    """Record what one revision of an item says; claims read from earlier revisions become superseded.

    Call inside a transaction. Re-reading the same revision changes nothing.
    """
    if item_has_claims(db, item_id, revision):
        return
    db.execute("update claims set status = 'superseded' where item_id = ? and revision < ? and status = 'current'",
               [item_id, revision])
    now = utc_now_iso()
    for claim in claims:
        values = [getattr(claim, name) for name in CLAIM_FIELDS]
        db.execute(
            f"insert into claims (item_id, revision, {', '.join(f'[{n}]' for n in CLAIM_FIELDS)}, status, extracted_at)"
            f" values (?, ?, {', '.join('?' * len(CLAIM_FIELDS))}, 'current', ?)",
            [item_id, revision, *values, now])


def ledger_entries(db, incident_id: int, *, include_history: bool = True) -> list[LedgerEntry]:
    """Every claim of every item matched to the incident, oldest report first."""
    status_filter = "" if include_history else "and claims.status = 'current'"
    # Only the columns a LedgerEntry holds, by position: this runs on every /incident answer and for
    # every matched item, over thousands of claims on a big incident.
    rows = db.execute(
        f"select {', '.join(f'claims.[{name}]' for name in CLAIM_FIELDS)}, claims.status, claims.verified_by,"
        " items.id, items.published, items.link, coalesce(nullif(items.outlet, ''), items.feed_id), matches.story_id"
        " from matches join items on items.id = matches.item_id join claims on claims.item_id = items.id"
        f" where matches.incident_id = ? and matches.status = 'matched' {status_filter}"
        " order by items.published, claims.item_id, claims.start", [incident_id]).fetchall()
    n = len(CLAIM_FIELDS)
    status, verified_by, item_id, published, link, outlet, story_id = range(n, n + 7)
    outlets_by_story: dict[int, set[str]] = {}
    for row in rows:
        outlets_by_story.setdefault(row[story_id], set()).add(row[outlet])
    outlets = {story: tuple(sorted(names)) for story, names in outlets_by_story.items()}
    moments: dict[str, datetime] = {}  # an item's claims share its publication time: parse it once
    entries = []
    for row in rows:
        moment = moments.get(row[published])
        if moment is None:
            moment = moments[row[published]] = from_iso(row[published])
        entries.append(LedgerEntry(
            claim=Claim(**dict(zip(CLAIM_FIELDS, row))), item_id=row[item_id], story_id=row[story_id],
            outlet=row[outlet], published=moment, link=row[link], status=row[status],
            verified_by=row[verified_by], outlets=outlets[row[story_id]],
        ))
    return entries


def record_match(db, *, incident_id: int, item_id: int, story_id: int, score: float, terms: list[str]) -> bool:
    """Attach an item to an incident unless an editor detached it before; True when newly attached."""
    cursor = db.execute(
        "insert or ignore into matches (incident_id, item_id, story_id, score, terms, matched_at, status)"
        " values (?,?,?,?,?,?, 'matched')",
        [incident_id, item_id, story_id, score, json.dumps(terms), utc_now_iso()])
    return cursor.rowcount == 1
