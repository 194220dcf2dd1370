"""Named queries on items and stories: the rows a poll writes (ingest decides what), revisions, search."""

from __future__ import annotations

import json

from bot.models import Item
from db.connection import from_iso, to_iso

_CHUNK = 500
NEAR_COPY_CANDIDATES = 5  # SQLite's host-parameter limit is far above this; keeps IN (...) lists short
RECENT_BAND_KEYS = 20_000  # band keys kept in story_bands_recent before they move to story_bands


def known_items(db, feed_id: str, guids: list[str]) -> dict[str, dict]:
    """The stored items of a feed with these guids, by guid (what a revision needs)."""
    known = {}
    for start in range(0, len(guids), _CHUNK):
        chunk = guids[start:start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in db.query(
                f"select id, guid, fingerprint, revision, title, summary, content, first_seen_at, updated_at "
                f"from items where feed_id = ? and guid in ({marks})", [feed_id, *chunk]):
            known[row["guid"]] = row
    return known


def insert_item(db, item: Item, *, story_id: int, fingerprint: str, seen_at: str, backlog: bool) -> int:
    """A new entry, in the story ingest chose for it; call inside the poll's transaction."""
    cursor = db.conn.execute(
        "insert into items (feed_id, guid, story_id, link, title, summary, content, author, published,"
        " published_is_first_seen, lang, outlet, fingerprint, first_seen_at, revision, updated, backlog)"
        " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,0,?)",
        [item.feed_id, item.guid, story_id, item.link, item.title, item.summary, item.content, item.author,
         to_iso(item.published), int(item.published_is_first_seen), item.lang, item.outlet, fingerprint, seen_at,
         int(backlog)])
    return cursor.lastrowid


def story_by_link(db, link: str) -> int | None:
    row = db.conn.execute("select id from stories where canonical_link = ?", [link]).fetchone()
    return row[0] if row else None


def story_by_fingerprint(db, fingerprint: str) -> int | None:
    row = db.conn.execute("select id from stories where fingerprint = ?", [fingerprint]).fetchone()
    return row[0] if row else None


def insert_story(db, *, link: str | None, fingerprint: str, title: str, seen_at: str,
                 signature: tuple[int, ...] | None, band_keys: list[tuple[int, int]]) -> int:
    """A new story with its MinHash signature and band keys (into the small recent table first)."""
    cursor = db.conn.execute("insert into stories (canonical_link, fingerprint, title, first_seen_at, signature)"
                             " values (?,?,?,?,?)", [link, fingerprint, title, seen_at,
                                                     json.dumps(signature) if signature else None])
    story_id = cursor.lastrowid
    if band_keys:
        db.conn.execute("insert or ignore into story_bands_recent (key, band, story_id) values "
                        + ",".join("(?,?,?)" for _ in band_keys), [v for key in band_keys for v in (*key, story_id)])
    return story_id


def settle_band_keys(db) -> None:
    """Move the recent band keys to story_bands once story_bands_recent holds RECENT_BAND_KEYS.

    story_bands_recent stays small, so a poll's commit rewrites few of its pages; story_bands
    takes the keys in one sorted batch every few dozen polls instead of a scattered page per key
    at every poll. A key is in one of the two tables. Runs in the poll's transaction.
    """
    conn = db.conn
    (count,) = conn.execute("select count(*) from story_bands_recent").fetchone()
    if count >= RECENT_BAND_KEYS:
        conn.execute("insert or ignore into story_bands (key, band, story_id)"
                     " select key, band, story_id from story_bands_recent order by key, band, story_id")
        conn.execute("delete from story_bands_recent")


def band_key_columns(text: str) -> tuple[int, int]:
    """A band key of stories.band_keys ('band:hex') as stored: (the hex as a signed 64-bit integer, band)."""
    band, digest = text.split(":", 1)
    value = int(digest, 16)
    return (value - (1 << 64) if value >= 1 << 63 else value), int(band)


def near_copy_candidates(db, band_keys: list[tuple[int, int]]) -> list[tuple[int, tuple[int, ...]]]:
    """(story id, signature) of the few stories sharing the most band keys with a new text."""
    # Only the few stories sharing the most band keys are compared: templated texts (a feed's
    # boilerplate) can share a key or two with thousands of stories, true copies share many.
    pairs = ",".join("(?,?)" for _ in band_keys)
    rows = db.conn.execute(
        f"with wanted (key, band) as (values {pairs})"
        f" select stories.id, stories.signature from stories join ("
        f" select story_id, count(*) as shared from ("
        f"  select bands.story_id from wanted join story_bands as bands"
        f"  on bands.key = wanted.key and bands.band = wanted.band"
        f"  union all select recent.story_id from wanted join story_bands_recent as recent"
        f"  on recent.key = wanted.key and recent.band = wanted.band)"
        f" group by story_id order by shared desc, story_id limit {NEAR_COPY_CANDIDATES}) as best"
        f" on best.story_id = stories.id", [v for key in band_keys for v in key]).fetchall()
    return [(row[0], tuple(json.loads(row[1]))) for row in rows]


def revise_item(db, existing: dict, item: Item, *, fingerprint: str, seen_at: str) -> None:
    """A changed entry: the old text goes to item_revisions, so a toll revised in place keeps its history."""
    db.execute(
        "insert into item_revisions (item_id, revision, title, summary, content, fingerprint, seen_at)"
        " values (?,?,?,?,?,?,?)",
        [existing["id"], existing["revision"], existing["title"], existing["summary"], existing["content"],
         existing["fingerprint"], existing["updated_at"] or existing["first_seen_at"]])
    db.execute(
        "update items set title = ?, summary = ?, content = ?, author = ?, link = ?, fingerprint = ?,"
        " revision = revision + 1, updated = 1, updated_at = ?, processed_at = NULL where id = ?",
        [item.title, item.summary, item.content, item.author, item.link, fingerprint, seen_at, existing["id"]])


def load_block_memory(db, feed_id: str) -> tuple[str, bytes] | None:
    """(context, blocks) of what the feed's last successful parse read (bot.ingest.parse.BlockMemory), or None."""
    with db.lock:
        return db.conn.execute("select context, blocks from feed_blocks where feed_id = ?", [feed_id]).fetchone()


def save_block_memory(db, feed_id: str, memory: tuple[str, bytes] | None) -> None:
    """Remember what this parse read, (context, blocks) or None; call inside the poll's transaction."""
    if memory is None:
        db.conn.execute("delete from feed_blocks where feed_id = ?", [feed_id])
    else:
        db.conn.execute("insert or replace into feed_blocks (feed_id, context, blocks) values (?, ?, ?)",
                        [feed_id, *memory])


def search_items(db, *, feed_id: str | None = None, since: str | None = None, text: str | None = None,
                 limit: int = 50) -> list[dict]:
    """Stored items, newest first, filtered by feed, publication date and full-text search."""
    where, params = [], []
    if feed_id:
        where.append("items.feed_id = ?")
        params.append(feed_id)
    if since:
        where.append("items.published >= ?")
        params.append(since)
    if text:
        where.append("items.id in (select rowid from items_fts where items_fts match ?)")
        params.append(fts_query(text))
    sql = ("select items.id, items.feed_id, items.published, items.published_is_first_seen, items.title,"
           " items.process_error,"
           " items.link, items.outlet, items.updated, items.story_id from items")
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by items.published desc, items.id desc limit ?"
    return list(db.query(sql, [*params, limit]))


def fts_query(text: str) -> str:
    """Words typed by a person → an FTS5 query that cannot be a syntax error (each word quoted)."""
    words = [w.replace('"', '""') for w in text.split() if w.strip()]
    return " ".join(f'"{w}"' for w in words) or '""'


def load_item(db, item_id: int) -> Item | None:
    rows = list(db.query("select * from items where id = ?", [item_id]))
    if not rows:
        return None
    row = rows[0]
    return Item(feed_id=row["feed_id"], guid=row["guid"], link=row["link"], title=row["title"] or "",
                summary=row["summary"] or "", content=row["content"] or "", author=row["author"],
                published=from_iso(row["published"]),
                published_is_first_seen=bool(row["published_is_first_seen"]), lang=row["lang"],
                outlet=row["outlet"])


# An item of a full_text feed whose page is still pending, seen (or revised) after a cutoff, waits.
_WAITING = (" and not (article_status = 'pending' and coalesce(updated_at, first_seen_at) > ?"
            " and feed_id in (select id from feeds where full_text = 1 and removed_at is null))")


def unprocessed_item_ids(db, *, limit: int, waiting_after: str | None = None) -> list[int]:
    """Items not processed yet (new, or revised since), oldest first; with `waiting_after` (an ISO
    time), not those whose article page is pending and which were seen or revised after it."""
    waiting, params = (_WAITING, [waiting_after]) if waiting_after else ("", [])
    with db.lock:
        return [row[0] for row in db.execute(
            f"select id from items where processed_at is null{waiting} order by published, id limit ?",
            [*params, limit]).fetchall()]


def item_state(db, item_id: int) -> tuple[int, int, bool, str]:
    """(revision, story id, came with a feed's backlog, when its current text was first there to read)."""
    revision, story_id, backlog, published, updated_at = db.execute(
        "select revision, story_id, backlog, published, updated_at from items where id = ?", [item_id]).fetchone()
    # A revision is news from the moment it was seen, not from the article's original publication.
    return revision, story_id, bool(backlog), updated_at if revision > 1 and updated_at else published


def mark_processed(db, item_id: int, *, at: str) -> None:
    """Set in the same transaction as the item's matches, claims and alerts."""
    db.execute("update items set processed_at = ? where id = ?", [at, item_id])


def item_title(db, item_id: int) -> str | None:
    with db.lock:
        row = db.execute("select title from items where id = ?", [item_id]).fetchone()
    return row[0] if row else None


def item_ids_in_window(db, *, query: str | None, since: str, before: str | None) -> list[int]:
    """Items published in [since, before), processed or not, matching a full-text query when one is given."""
    where, params = ["items.published >= ?"], [since]
    if before:
        where.append("items.published < ?")
        params.append(before)
    if query:
        where.append("items.id in (select rowid from items_fts where items_fts match ?)")
        params.append(query)
    with db.lock:
        return [r[0] for r in db.execute(f"select items.id from items where {' and '.join(where)} order by items.id",
                                         params)]


def items_by_id(db, ids: list[int]) -> list[dict]:
    """id, feed, published, title, link and whether it was revised, in publication order."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    with db.lock:
        return list(db.query(f"select id, feed_id, published, title, link, updated from items"
                             f" where id in ({marks}) order by published", ids))


def quarantine_item(db, item_id: int, *, error: str, at: str) -> None:
    """Set an item whose processing failed aside, with why; its own transaction."""
    db.execute("update items set processed_at = ?, process_error = ? where id = ?", [at, error[:500], item_id])


def count_unprocessed(db, *, waiting_after: str | None = None) -> int:
    """How many unprocessed_item_ids() would give without a limit."""
    waiting, params = (_WAITING, [waiting_after]) if waiting_after else ("", [])
    with db.lock:
        return db.execute(f"select count(*) from items where processed_at is null{waiting}", params).fetchone()[0]


def item_by_link(db, links: list[str]) -> dict | None:
    """The stored item a link points to (by its story's canonical link, else the item's own link):
    id, title, published, link; the earliest published when several outlets carry the story.
    `links` come canonical already (ingest's canonical_url), and as written."""
    for url in links[:10]:
        with db.lock:
            row = db.execute("select items.id, items.title, items.published, items.link from stories "
                             "join items on items.story_id = stories.id where stories.canonical_link = ? "
                             "order by items.published limit 1", [url]).fetchone()
            if row is None:
                row = db.execute("select id, title, published, link from items where link = ? "
                                 "order by published limit 1", [url]).fetchone()
        if row is not None:
            return {"id": row[0], "title": row[1], "published": row[2], "link": row[3]}
    return None


def items_with_matched_flag(db, *, since: str, until: str, limit: int = 20_000) -> list[dict]:
    """Items published in [since, until], newest first (at most limit): id, feed, outlet, story, title,
    summary, published, and matched = 1 when a tracked incident holds it (a match not rejected, of an
    incident not untracked)."""
    with db.lock:
        return list(db.query(
            "select items.id, items.feed_id, items.outlet, items.story_id, items.title, items.summary,"
            " items.published, exists(select 1 from matches"
            " join incidents on incidents.id = matches.incident_id"
            " where matches.item_id = items.id and coalesce(matches.status, 'matched') != 'rejected'"
            " and incidents.removed_at is null)"
            " as matched from items where items.published >= ? and items.published <= ?"
            " order by items.published desc, items.id desc limit ?", [since, until, limit]))
