"""The claims ledger: every figure read from a matched item, kept with its history."""

from __future__ import annotations

import json
from datetime import datetime

from bot.models import Claim, LedgerEntry
from db.connection import from_iso, utc_now_iso

CLAIM_FIELDS = ("metric", "value", "low", "high", "qualifier", "vague", "who", "source", "source_text", "quote",
                "start", "end", "scope")


def item_has_claims(db, item_id: int, revision: int, *, from_article: bool = False) -> bool:
    """Whether this revision was read already (from the article's page, or from the feed's text)."""
    row = db.execute("select 1 from claims where item_id = ? and revision = ? and from_article = ? limit 1",
                     [item_id, revision, int(from_article)]).fetchone()
    return row is not None


def store_claims(db, item_id: int, *, revision: int, claims: list[Claim], reported_at: str | None = None,
                 from_article: bool = False) -> None:
    """Record what one revision of an item says; claims read from earlier revisions become superseded.

    `from_article`: read from the article's own page (feeds with full_text), which supersedes what the
    feed's summary of the same revision said. `reported_at` is when this text was first there to read
    (see m011). Call inside a transaction. Re-reading the same revision changes nothing.
    """
    if item_has_claims(db, item_id, revision, from_article=from_article):
        return
    db.execute("update claims set status = 'superseded' where item_id = ? and status = 'current'"
               " and (revision < ? or (revision = ? and from_article < ?))",
               [item_id, revision, revision, int(from_article)])
    now = utc_now_iso()
    for claim in claims:
        values = [getattr(claim, name) for name in CLAIM_FIELDS]
        db.execute(
            f"insert into claims (item_id, revision, {', '.join(f'[{n}]' for n in CLAIM_FIELDS)}, status, extracted_at,"
            f" reported_at, from_article) values (?, ?, {', '.join('?' * len(CLAIM_FIELDS))}, 'current', ?, ?, ?)",
            [item_id, revision, *values, now, reported_at, int(from_article)])


def ledger_entries(db, incident_id: int, *, include_history: bool = True, of_item: int | None = None
                   ) -> list[LedgerEntry]:
    """Every claim of every item matched to the incident (or of one item), oldest report first."""
    status_filter = "" if include_history else "and claims.status = 'current'"
    params: list = [incident_id]
    if of_item is not None:
        status_filter += " and items.id = ?"
        params.append(of_item)
    # Only the columns a LedgerEntry holds, by position: this runs on every /incident answer and for
    # every matched item, over thousands of claims on a big incident.
    rows = db.execute(
        f"select {', '.join(f'claims.[{name}]' for name in CLAIM_FIELDS)}, claims.status, claims.verified_by,"
        " items.id, coalesce(claims.reported_at, items.published), items.link,"
        " coalesce(nullif(items.outlet, ''), items.feed_id), matches.story_id"
        " from matches join items on items.id = matches.item_id join claims on claims.item_id = items.id"
        f" where matches.incident_id = ? and matches.status = 'matched' {status_filter}"
        " order by coalesce(claims.reported_at, items.published), claims.item_id, claims.start",
        params).fetchall()
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


def incidents_of_item(db, item_id: int, *, status: str = "matched") -> set[int]:
    """Incidents an item is attached to ('matched') or was detached from ('rejected')."""
    return {r[0] for r in db.execute("select incident_id from matches where item_id = ? and status = ?",
                                     [item_id, status])}


def item_has_any_claim(db, item_id: int) -> bool:
    return db.execute("select 1 from claims where item_id = ? limit 1", [item_id]).fetchone() is not None


def current_claims_of_item(db, item_id: int | None) -> list[dict]:
    """The figures an item gives now, in text order (for an alert's feedback menu)."""
    with db.lock:
        return [dict(r) for r in db.query(
            "select id, metric, source, value, low, high, qualifier, vague from claims"
            " where item_id = ? and status = 'current' order by start", [item_id])]


def detach_item(db, incident_id: int, item_id: int, *, user: str) -> bool:
    """An editor's "Not this incident"; True when it was attached. Call inside a transaction."""
    return db.execute(
        "update matches set status = 'rejected', decided_by = ?, decided_at = ? where incident_id = ?"
        " and item_id = ? and status = 'matched'", [user, utc_now_iso(), incident_id, item_id]).rowcount > 0


def judge_claim(db, claim_id: int, *, verdict: str, user: str) -> str | None:
    """'verified' or 'wrong' (rejected: it leaves the toll); the claim's quote. Call inside a transaction."""
    if verdict == "verified":
        db.execute("update claims set verified_by = ?, verified_at = ? where id = ?", [user, utc_now_iso(), claim_id])
    elif verdict == "wrong":
        db.execute("update claims set status = 'rejected' where id = ?", [claim_id])
    else:
        raise ValueError(f"unknown verdict {verdict!r}")
    row = db.execute("select quote from claims where id = ?", [claim_id]).fetchone()
    return row[0] if row else None


def incidents_of_claim(db, claim_id: int) -> list[int]:
    """The incidents whose toll a claim counts in."""
    with db.lock:
        return [r[0] for r in db.execute(
            "select matches.incident_id from claims join matches on matches.item_id = claims.item_id"
            " where claims.id = ? and matches.status = 'matched'", [claim_id])]


def coverage(db, incident_id: int) -> tuple[int, int]:
    """How many stories, from how many outlets, the incident has (counted by SQLite, not in Python)."""
    with db.lock:
        return tuple(db.execute(
            "select count(distinct matches.story_id), count(distinct coalesce(items.outlet, items.feed_id))"
            " from matches join items on items.id = matches.item_id"
            " where matches.incident_id = ? and matches.status = 'matched'", [incident_id]).fetchone())


def matched_items(db, incident_id: int) -> list[dict]:
    """Every matched article, oldest first, with its outlet, story and why it matched."""
    with db.lock:
        return list(db.query(
            "select items.id, items.title, items.link, items.published, coalesce(items.outlet, items.feed_id)"
            " as outlet, matches.terms, matches.story_id from matches join items on items.id = matches.item_id"
            " where matches.incident_id = ? and matches.status = 'matched' order by items.published, items.id",
            [incident_id]))
