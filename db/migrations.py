"""Every schema change, in order. Never edit an applied migration: add a new one."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

migrations = Migrations("incident_desk")


@migrations()
def m001_feeds_and_items(db):
    db["feeds"].create({
        "id": str, "url": str, "interval_seconds": int, "channel": str, "lang": str,
        "enabled": int, "tags": str, "origin": str, "title": str, "added_by": str,
        "created_at": str, "removed_at": str,
        # poll state
        "etag": str, "last_modified": str, "body_hash": str, "next_poll_after": str,
        # health
        "last_polled_at": str, "last_success_at": str, "last_new_item_at": str,
        "last_error": str, "last_error_at": str, "consecutive_failures": int, "warning": str,
    }, pk="id", not_null={"url", "interval_seconds"}, defaults={
        "enabled": 1, "origin": "file", "consecutive_failures": 0,
    })
    db["stories"].create({
        "id": int, "canonical_link": str, "fingerprint": str, "title": str, "first_seen_at": str,
    }, pk="id")
    db["stories"].create_index(["canonical_link"], unique=True)
    db["stories"].create_index(["fingerprint"])
    db["items"].create({
        "id": int, "feed_id": str, "guid": str, "story_id": int, "link": str,
        "title": str, "summary": str, "content": str, "author": str,
        "published": str, "published_is_first_seen": int, "lang": str, "outlet": str,
        "fingerprint": str, "first_seen_at": str, "revision": int, "updated": int, "updated_at": str,
    }, pk="id", foreign_keys=[("feed_id", "feeds", "id"), ("story_id", "stories", "id")],
        defaults={"revision": 1, "updated": 0, "published_is_first_seen": 0})
    db["items"].create_index(["feed_id", "guid"], unique=True)
    db["items"].create_index(["story_id"])
    db["items"].create_index(["published"])
    db["items"].create_index(["first_seen_at"])
    # Earlier versions of an item whose title or text changed (tolls get revised in place).
    db["item_revisions"].create({
        "id": int, "item_id": int, "revision": int, "title": str, "summary": str, "content": str,
        "fingerprint": str, "seen_at": str,
    }, pk="id", foreign_keys=[("item_id", "items", "id")])
    db["item_revisions"].create_index(["item_id", "revision"], unique=True)
    db["polls"].create({
        "id": int, "feed_id": str, "started_at": str, "finished_at": str, "outcome": str,
        "http_status": int, "new_items": int, "updated_items": int, "error": str,
    }, pk="id")
    db["polls"].create_index(["feed_id", "started_at"])
    db["items"].enable_fts(["title", "summary", "content"], fts_version="FTS5", create_triggers=True,
                           tokenize="unicode61 remove_diacritics 2")


@migrations()
def m002_incidents_ledger_outbox(db):
    db["incidents"].create({
        "id": int, "slug": str, "name": str, "aliases": str, "keywords": str, "places": str, "actors": str,
        "since": str, "until": str, "channel": str, "created_by": str, "created_at": str, "removed_at": str,
    }, pk="id", not_null={"slug", "name", "since"})
    db["incidents"].create_index(["slug"], unique=True)
    # Why an item belongs to an incident; status 'rejected' remembers an editor's "Not this incident".
    db["matches"].create({
        "id": int, "incident_id": int, "item_id": int, "story_id": int, "score": float, "terms": str,
        "matched_at": str, "status": str, "decided_by": str, "decided_at": str,
    }, pk="id", foreign_keys=[("incident_id", "incidents", "id"), ("item_id", "items", "id")],
        defaults={"status": "matched"})
    db["matches"].create_index(["incident_id", "item_id"], unique=True)
    db["matches"].create_index(["item_id"])
    # Every casualty figure read from an item. An item re-read after a revision marks its older
    # claims 'superseded'; an editor's "Wrong figure" marks one 'rejected'.
    db["claims"].create({
        "id": int, "item_id": int, "revision": int, "metric": str, "value": int, "low": int, "high": int,
        "qualifier": str, "vague": str, "who": str, "source": str, "source_text": str, "quote": str,
        "start": int, "end": int, "status": str, "verified_by": str, "verified_at": str, "extracted_at": str,
    }, pk="id", foreign_keys=[("item_id", "items", "id")], defaults={"status": "current"})
    db["claims"].create_index(["item_id", "status"])
    # Alerts waiting for Slack. The idempotency key makes re-running a poll harmless.
    db["outbox"].create({
        "id": int, "idempotency_key": str, "incident_id": int, "kind": str, "item_id": int, "payload": str,
        "created_at": str, "status": str, "attempts": int, "next_attempt_at": str, "last_error": str,
        "sent_at": str, "slack_channel": str, "slack_ts": str,
    }, pk="id", foreign_keys=[("incident_id", "incidents", "id")], defaults={"status": "pending", "attempts": 0})
    db["outbox"].create_index(["idempotency_key"], unique=True)
    db["outbox"].create_index(["status", "id"])
    # Items not yet matched and read for claims: a crash between storing and matching loses nothing.
    db["items"].add_column("processed_at", str)
    db["items"].create_index(["processed_at"])
    db["audit_log"].create({
        "id": int, "at": str, "actor": str, "action": str, "target": str, "detail": str,
    }, pk="id")


@migrations()
def m003_slack_threads(db):
    # One thread per incident and channel: the parent message always shows the current toll.
    db["slack_threads"].create({
        "id": int, "incident_id": int, "channel": str, "parent_ts": str, "posted_at": str, "updated_at": str,
    }, pk="id", foreign_keys=[("incident_id", "incidents", "id")])
    db["slack_threads"].create_index(["incident_id", "channel"], unique=True)


@migrations()
def m004_near_duplicate_stories(db):
    # A wire story republished with another headline or boilerplate is still one story: MinHash
    # signatures with LSH band keys find the earlier copy without comparing every pair.
    db["stories"].add_column("signature", str)
    db["story_bands"].create({"band_key": str, "story_id": int}, pk=("band_key", "story_id"),
                             foreign_keys=[("story_id", "stories", "id")])


@migrations()
def m005_item_backlog(db):
    # Items found by a feed's first successful poll are its backlog: their figures count, their
    # alerts are recorded, not posted, so adding a feed never floods a channel.
    db["items"].add_column("backlog", int, not_null_default=0)


@migrations()
def m006_ledger_version(db):
    # Every change to what an incident's toll is made of bumps its ledger_version, so answers
    # and alerts can reuse a computed toll until the ledger really changes.
    db["incidents"].add_column("ledger_version", int, not_null_default=0)
    bump_item = ("UPDATE incidents SET ledger_version = ledger_version + 1"
                 " WHERE id IN (SELECT incident_id FROM matches WHERE item_id = {row}.item_id)")
    # One execute per statement: executescript() would commit the migration's transaction half-way.
    for statement in (
        "CREATE TRIGGER matches_ledger_insert AFTER INSERT ON matches BEGIN"
        " UPDATE incidents SET ledger_version = ledger_version + 1 WHERE id = NEW.incident_id; END",
        "CREATE TRIGGER matches_ledger_update AFTER UPDATE ON matches BEGIN"
        " UPDATE incidents SET ledger_version = ledger_version + 1 WHERE id IN (NEW.incident_id, OLD.incident_id);"
        " END",
        f"CREATE TRIGGER claims_ledger_insert AFTER INSERT ON claims BEGIN {bump_item.format(row='NEW')}; END",
        f"CREATE TRIGGER claims_ledger_update AFTER UPDATE ON claims BEGIN {bump_item.format(row='NEW')}; END",
        "CREATE TRIGGER items_ledger_update AFTER UPDATE OF link, outlet, published ON items BEGIN"
        " UPDATE incidents SET ledger_version = ledger_version + 1"
        " WHERE id IN (SELECT incident_id FROM matches WHERE item_id = NEW.id); END",
    ):
        db.execute(statement)


@migrations()
def m007_compact_story_bands(db):
    # The band-key index took most of a poll's writing time: 32 text keys in two B-trees (the
    # table and its primary-key index) for every new story, each insert dirtying a page of its own.
    # Now the same keys as 64-bit integers in one WITHOUT ROWID B-tree (a third of the pages), and
    # new stories' keys first go to the small story_bands_recent, which moves to story_bands in one
    # sorted batch when it fills (db/items.py): a poll's commit rewrites a few pages instead of a
    # page for nearly every key. (key, band) is exactly the old 'band:hex' text, key being the hex
    # read as a signed 64-bit integer. A key is in one of the two tables.
    for table in ("story_bands_compact", "story_bands_recent"):
        db.execute(f"CREATE TABLE {table} (key INTEGER NOT NULL, band INTEGER NOT NULL,"
                   " story_id INTEGER NOT NULL, PRIMARY KEY (key, band, story_id)) WITHOUT ROWID")
    rows = db.execute("SELECT band_key, story_id FROM story_bands").fetchall()
    db.conn.executemany("INSERT OR IGNORE INTO story_bands_compact (key, band, story_id) VALUES (?, ?, ?)",
                        ((*_band_key_columns(key), story_id) for key, story_id in rows))
    db.execute("DROP TABLE story_bands")
    db.execute("ALTER TABLE story_bands_compact RENAME TO story_bands")


def _band_key_columns(text: str) -> tuple[int, int]:
    """'band:hex' (syndication.band_keys) -> (hex as a signed 64-bit integer, band); frozen with m007."""
    band, digest = text.split(":", 1)
    value = int(digest, 16)
    return (value - (1 << 64) if value >= 1 << 63 else value), int(band)


@migrations()
def m008_feed_item_blocks(db):
    # What recent successful parses of each feed read, block by block (one <item> or <entry>):
    # a hash of the block's bytes and of the guid it gave. The next poll cuts the blocks already
    # read, byte for byte, out of the document before feedparser sees it (bot/ingest/parse.py).
    # Written in the poll's own transaction, beside the items those blocks gave.
    db.execute("CREATE TABLE feed_blocks (feed_id TEXT PRIMARY KEY, context TEXT NOT NULL,"
               " blocks BLOB NOT NULL)")


@migrations()
def m009_band_keys_by_multiplication(db):
    # Band keys are now mixed from a band's two slot values with fixed multipliers instead of a
    # blake2b of their text (bot/syndication.band_key_ints; a fifth of a new story's cost). The
    # signatures themselves are unchanged, so the keys are rebuilt from them: stories are read
    # a batch at a time into an unsorted temporary table, and SQLite's sorter (on disk when it
    # must) orders them into story_bands, so memory stays flat however many stories there are.
    import json

    db.execute("DELETE FROM story_bands")
    db.execute("DELETE FROM story_bands_recent")
    db.execute("CREATE TEMP TABLE m009_keys (key INTEGER, band INTEGER, story_id INTEGER)")
    stories = db.conn.execute("SELECT id, signature FROM stories WHERE signature IS NOT NULL")
    while batch := stories.fetchmany(1000):
        db.conn.executemany("INSERT INTO m009_keys VALUES (?, ?, ?)",
                            [(key, band, story_id) for story_id, signature in batch
                             for key, band in _m009_band_keys(json.loads(signature))])
    db.execute("INSERT OR IGNORE INTO story_bands (key, band, story_id)"
               " SELECT key, band, story_id FROM m009_keys ORDER BY key, band, story_id")
    db.execute("DROP TABLE m009_keys")


def _m009_band_keys(sig: list[int]) -> list[tuple[int, int]]:
    """syndication.band_key_ints as m009 wrote it (two slots a band); frozen with the migration."""
    m0, m1 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F
    return [(((a + 1) * m0 ^ (b + 1) * m1) & ((1 << 63) - 1), band)
            for band, (a, b) in enumerate(zip(sig[0::2], sig[1::2]))]


@migrations()
def m010_fts_follows_text_changes_only(db):
    # sqlite-utils' items_au trigger re-indexed an item on any update: marking it processed
    # (processed_at) deleted and re-inserted its whole text in items_fts. Only a change of the
    # indexed columns needs that.
    db.execute("DROP TRIGGER IF EXISTS items_au")
    db.execute(
        "CREATE TRIGGER items_au AFTER UPDATE OF title, summary, content ON items BEGIN"
        " INSERT INTO items_fts (items_fts, rowid, title, summary, content)"
        " VALUES ('delete', old.rowid, old.title, old.summary, old.content);"
        " INSERT INTO items_fts (rowid, title, summary, content) VALUES (new.rowid, new.title, new.summary, new.content);"
        " END")


@migrations()
def m011_claim_scope_and_reported_at(db):
    # A claim's scope (the event, a subset, attackers, another event, a running total, the text's
    # own earlier figure) decides whether it may lead; its reported_at is when the desk could first
    # read it: the publication time for an article's first text, the revision's first-seen time for
    # an updated one (a revision is not news from the original publication time).
    db["claims"].add_column("scope", str, not_null_default="event")
    db["claims"].add_column("reported_at", str)
    db.execute("UPDATE claims SET reported_at = (SELECT CASE WHEN claims.revision > 1 AND items.updated_at IS NOT NULL"
               " THEN items.updated_at ELSE items.published END FROM items WHERE items.id = claims.item_id)")


@migrations()
def m012_items_process_error(db):
    # An item whose processing fails is set aside with its error (and processed_at), so one bad
    # item never stops the others; `python -m bot items` shows it.
    db["items"].add_column("process_error", str)


@migrations()
def m013_article_text(db):
    # Feeds with full_text: each new or revised item's page is fetched once and its figures read
    # from the article's own text (bot/ingest/articles.py). article_status is 'pending' until then,
    # 'ok', or why the page gave nothing (the summary is kept). Claims read from the article carry
    # from_article = 1, so the article's reading replaces the summary's for the same revision.
    db["feeds"].add_column("full_text", int, not_null_default=0)
    db["items"].add_column("article_text", str)
    db["items"].add_column("article_status", str)
    db["items"].add_column("article_fetched_at", str)
    db["items"].add_column("article_attempts", int, not_null_default=0)
    db["claims"].add_column("from_article", int, not_null_default=0)
    db.execute("CREATE INDEX items_article_pending ON items (id) WHERE article_status = 'pending'")


@migrations()
def m014_digest_schedules(db):
    # Each channel's daily digest: from feeds.yaml's `digests:` (origin 'file', synced on load) or set
    # in Slack with /incident digest (origin 'slack', which a file reload leaves alone). `at` NULL is a
    # digest turned off in Slack, kept so that the file does not bring it back.
    db["digest_schedules"].create({
        "channel": str, "at": str, "tz": str, "feeds": int, "origin": str, "set_by": str, "updated_at": str,
    }, pk="channel", defaults={"tz": "UTC", "feeds": 0, "origin": "file"})


@migrations()
def m015_websub(db):
    # WebSub (bot/ingest/websub.py): the hub and self (topic) URLs a feed advertises, recorded when
    # it is parsed, and the bot's subscription to that hub. `secret` signs the hub's pushes;
    # `pending_since` is set while a subscribe request awaits the hub's verification of intent;
    # `lease_expires_at` is when the verified subscription lapses (polling resumes then);
    # `retry_at` is when a failed or unverified request may be sent again.
    db["websub"].create({
        "feed_id": str, "hub": str, "topic": str, "discovered_at": str, "secret": str, "callback": str,
        "lease_seconds": int, "pending_since": str, "verified_at": str, "lease_expires_at": str,
        "attempts": int, "retry_at": str, "last_error": str,
    }, pk="feed_id", defaults={"attempts": 0})


@migrations()
def m016_feed_priority(db):
    # A feed with `priority: true` in feeds.yaml is always polled at its configured interval; the
    # others poll less often while they are quiet (bot/ingest/intervals.py).
    db["feeds"].add_column("priority", int, not_null_default=0)


@migrations()
def m017_remote_polls(db):
    # Distributed mode (bot/ingest/remote_polls.py): each poll a worker fetched and parsed, by the id the
    # scheduler gave it, claimed in the transaction that stores it, so a redelivered poll or result
    # (a worker or the writer killed before its message was acknowledged) is stored once.
    db["remote_polls"].create({"poll_id": str, "feed_id": str, "stored_at": str}, pk="poll_id")
    # Claims older than remote_store.STALE_SECONDS are dropped as the writer goes (10,000 feeds at 5 minutes
    # make 2.9 million polls a day): by the time they are stored.
    db["remote_polls"].create_index(["stored_at"])
