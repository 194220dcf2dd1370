"""Named queries on tracked incidents."""

from __future__ import annotations

import json
from datetime import date

from bot.models import Incident
from db.connection import from_iso, utc_now_iso, writing


def row_to_incident(row: dict) -> Incident:
    return Incident(
        slug=row["slug"], name=row["name"], since=date.fromisoformat(row["since"]),
        until=date.fromisoformat(row["until"]) if row["until"] else None,
        aliases=tuple(json.loads(row["aliases"] or "[]")), keywords=tuple(json.loads(row["keywords"] or "[]")),
        places=tuple(json.loads(row["places"] or "[]")), actors=tuple(json.loads(row["actors"] or "[]")),
        channel=row["channel"], created_by=row["created_by"],
    )


def insert_incident(db, incident: Incident) -> int:
    """Store a newly tracked incident; a slug used before (even by an untracked one) is taken."""
    with writing(db):
        cursor = db.execute(
            "insert into incidents (slug, name, aliases, keywords, places, actors, since, until, channel,"
            " created_by, created_at) values (?,?,?,?,?,?,?,?,?,?,?)",
            [incident.slug, incident.name, json.dumps(list(incident.aliases)), json.dumps(list(incident.keywords)),
             json.dumps(list(incident.places)), json.dumps(list(incident.actors)), incident.since.isoformat(),
             incident.until.isoformat() if incident.until else None, incident.channel, incident.created_by,
             utc_now_iso()])
    return cursor.lastrowid


def active_incidents(db) -> dict[int, Incident]:
    """Tracked incidents by id, oldest first."""
    with db.lock:
        rows = list(db.query("select * from incidents where removed_at is null order by id"))
    return {row["id"]: row_to_incident(row) for row in rows}


def incidents_version(db) -> tuple:
    """Changes whenever an incident is tracked or untracked (by any process): a cheap staleness check."""
    with db.lock:
        return db.execute("select count(*), coalesce(max(id), 0), count(removed_at) from incidents").fetchone()


def taken_slugs(db) -> set[str]:
    with db.lock:
        return {row["slug"] for row in db.query("select slug from incidents")}


def untrack_incident(db, incident_id: int) -> None:
    """Stop tracking; its matches, claims and alerts stay for the record."""
    with writing(db):
        db.execute("update incidents set removed_at = ? where id = ?", [utc_now_iso(), incident_id])


def ledger_version(db, incident_id: int) -> int:
    """Bumped by triggers whenever the incident's ledger changes; -1 for an unknown incident."""
    row = db.execute("select ledger_version from incidents where id = ?", [incident_id]).fetchone()
    return row[0] if row else -1


def all_incidents(db) -> dict[int, Incident]:
    """Every incident ever tracked, untracked ones included, oldest first."""
    with db.lock:
        rows = list(db.query("select * from incidents order by id"))
    return {row["id"]: row_to_incident(row) for row in rows}


def untracked_slugs(db) -> set[str]:
    with db.lock:
        return {row["slug"] for row in db.query("select slug from incidents where removed_at is not null")}


def earliest_match(db, incident_id: int):
    """Publication time of the incident's earliest matched item, or None."""
    with db.lock:
        row = db.execute("select min(items.published) from matches join items on items.id = matches.item_id"
                         " where matches.incident_id = ? and matches.status = 'matched'", [incident_id]).fetchone()
    return from_iso(row[0]) if row and row[0] else None


def set_since(db, incident_id: int, since) -> None:
    with writing(db):
        db.execute("update incidents set since = ? where id = ?", [since.isoformat(), incident_id])


def tracked_times(db) -> dict:
    """incident id → when it was tracked (UTC), for telling a feed's old backlog from news."""
    with db.lock:
        rows = db.execute("select id, created_at from incidents where removed_at is null").fetchall()
    return {row[0]: from_iso(row[1]) for row in rows if row[1]}
