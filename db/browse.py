"""What datasette shows newsroom people: table and column descriptions, and canned queries (SQL lives in db/)."""

from __future__ import annotations

TABLES = {
    "feeds": ("Configured feeds and their health.", {
        "origin": "file (feeds.yaml) or slack (added with /feeds add)",
        "consecutive_failures": "failed polls in a row; after two the feed backs off",
        "next_poll_after": "backing off until then"}),
    "items": ("Every entry of every feed, stored once.", {
        "story_id": "syndicated copies of one wire story share it",
        "published_is_first_seen": "1 when the feed gave no date: the time the bot first saw it",
        "revision": "1 for the first text; each change of title or text adds one",
        "process_error": "why processing set this item aside"}),
    "stories": ("One story, however many feeds carried it.", {}),
    "incidents": ("What the desk tracks.", {"since": "first day matched", "removed_at": "untracked then"}),
    "matches": ("Items attached to incidents, with why.", {
        "terms": "why it matched (keyword:, place:, actor:, event:, profile:, event-of:)",
        "status": "matched, or rejected by an editor (Not this incident)"}),
    "claims": ("Every casualty figure read from a matched item: the ledger.", {
        "source": "who gives it: official, medical, un_ngo, security_sources, witnesses, leaked_documents, "
                  "unattributed, perpetrator_claim",
        "qualifier": "exact, at_least, more_than, about, up_to, range, vague",
        "scope": "event (the whole toll), subset, attackers, other_event, cumulative, history",
        "reported_at": "when the desk could first read it",
        "status": "current, superseded (an updated article), rejected (an editor's Wrong figure)"}),
    "outbox": ("Alerts for Slack, each at most once.", {"status": "pending, sending, sent, recorded, folded, "
                                                                 "blocked, dropped"}),
    "audit_log": ("Every change a person made.", {}),
    "digest_schedules": ("Each channel's daily digest, from feeds.yaml or /incident digest.", {
        "at": "HH:MM in tz; empty: turned off in Slack", "origin": "file or slack"}),
}

QUERIES = {
    "toll_over_time": {
        "title": "An incident's figures per source over time",
        "description": "Every figure of the incident's ledger, in the order the desk could read it.",
        "sql": "select claims.reported_at, claims.metric, claims.source, claims.qualifier, claims.value,"
               " claims.vague, claims.scope, claims.status, coalesce(items.outlet, items.feed_id) as outlet,"
               " claims.quote, items.link from claims join matches on matches.item_id = claims.item_id"
               " join incidents on incidents.id = matches.incident_id join items on items.id = claims.item_id"
               " where incidents.slug = :slug and matches.status = 'matched'"
               " order by claims.reported_at, claims.item_id, claims.start",
    },
    "matched_items": {
        "title": "An incident's matched items, with why",
        "sql": "select items.published, coalesce(items.outlet, items.feed_id) as outlet, items.title,"
               " matches.terms, matches.score, matches.status, items.link from matches"
               " join incidents on incidents.id = matches.incident_id join items on items.id = matches.item_id"
               " where incidents.slug = :slug order by items.published",
    },
    "items_per_feed_per_day": {
        "title": "Items per feed per day",
        "sql": "select feed_id, substr(published, 1, 10) as day, count(*) as items from items"
               " group by feed_id, day order by day desc, feed_id",
    },
    "claims_by_source_class": {
        "title": "Claims by source class",
        "sql": "select source, metric, status, count(*) as claims from claims group by source, metric, status"
               " order by claims desc",
    },
    "audit": {
        "title": "The audit log, newest first",
        "sql": "select at, actor, action, target, detail from audit_log order by id desc",
    },
}


def datasette_metadata(database: str) -> dict:
    """datasette's metadata for the bot's database file named `database` (its stem)."""
    return {
        "title": "Incident Desk ledger",
        "description": "Read-only: the feeds, the items, what each incident matched and every figure with its source.",
        "databases": {database: {
            "tables": {name: {"description": text, "columns": columns} for name, (text, columns) in TABLES.items()},
            "queries": QUERIES,
        }},
    }
