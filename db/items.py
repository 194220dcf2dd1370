"""Named queries on items: storing a poll's entries exactly once, revisions, search."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.incidents import stories as syndication
from bot.models import Item
from bot.text import content_fingerprint
from db.connection import from_iso, to_iso

_CHUNK = 500
NEAR_COPY_MIN_WORDS = 25
NEAR_COPY_CANDIDATES = 5  # SQLite's host-parameter limit is far above this; keeps IN (...) lists short
RECENT_BAND_KEYS = 20_000  # band keys kept in story_bands_recent before they move to story_bands


@dataclass
class StoreOutcome:
    """Ids of the items a poll added and of those it revised."""

    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)


def item_fingerprint(item: Item) -> str:
    return content_fingerprint(item.title, item.summary, item.content)


def store_items(db, feed_id: str, items: list[Item], *, seen_at: str, backlog: bool = False) -> StoreOutcome:
    """Insert new entries, revise changed ones; call inside the poll's transaction.

    An entry repeated inside one feed document (same guid) is stored once: the
    last copy wins, as feed readers do.
    """
    by_guid: dict[str, Item] = {}
    for item in items:
        by_guid[item.guid] = item
    known = _known(db, feed_id, list(by_guid))
    outcome = StoreOutcome()
    for guid, item in by_guid.items():
        fingerprint = item_fingerprint(item)
        existing = known.get(guid)
        if existing is None:
            outcome.new_ids.append(_insert(db, item, fingerprint=fingerprint, seen_at=seen_at, backlog=backlog))
        elif existing["fingerprint"] != fingerprint:
            _revise(db, existing, item, fingerprint=fingerprint, seen_at=seen_at)
            outcome.updated_ids.append(existing["id"])
    if outcome.new_ids:
        _settle_band_keys(db.conn)
    return outcome


def _known(db, feed_id: str, guids: list[str]) -> dict[str, dict]:
    known = {}
    for start in range(0, len(guids), _CHUNK):
        chunk = guids[start:start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in db.query(
                f"select id, guid, fingerprint, revision, title, summary, content, first_seen_at, updated_at "
                f"from items where feed_id = ? and guid in ({marks})", [feed_id, *chunk]):
            known[row["guid"]] = row
    return known


def _insert(db, item: Item, *, fingerprint: str, seen_at: str, backlog: bool) -> int:
    story_id = _story_for(db, item, fingerprint=fingerprint, seen_at=seen_at)
    cursor = db.conn.execute(
        "insert into items (feed_id, guid, story_id, link, title, summary, content, author, published,"
        " published_is_first_seen, lang, outlet, fingerprint, first_seen_at, revision, updated, backlog)"
        " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,0,?)",
        [item.feed_id, item.guid, story_id, item.link, item.title, item.summary, item.content, item.author,
         to_iso(item.published), int(item.published_is_first_seen), item.lang, item.outlet, fingerprint, seen_at,
         int(backlog)])
    return cursor.lastrowid


def _story_for(db, item: Item, *, fingerprint: str, seen_at: str) -> int:
    """The story this entry tells: same canonical link, same text, or a near copy (syndication)."""
    conn = db.conn
    if item.link:
        row = conn.execute("select id from stories where canonical_link = ?", [item.link]).fetchone()
        if row:
            return row[0]
    row = conn.execute("select id from stories where fingerprint = ?", [fingerprint]).fetchone()
    if row:
        return row[0]
    if len(item.text.split()) < NEAR_COPY_MIN_WORDS:
        sig, keys = None, []  # a headline alone is too short to call two texts copies
    else:
        sig = syndication.signature(item.text)
        keys = syndication.band_key_ints(sig)
        story = _near_copy(conn, sig, keys)
        if story is not None:
            return story
    cursor = conn.execute("insert into stories (canonical_link, fingerprint, title, first_seen_at, signature)"
                          " values (?,?,?,?,?)", [item.link, fingerprint, item.title, seen_at,
                                                  json.dumps(sig) if sig else None])
    story_id = cursor.lastrowid
    if keys:
        conn.execute("insert or ignore into story_bands_recent (key, band, story_id) values "
                     + ",".join("(?,?,?)" for _ in keys), [v for key in keys for v in (*key, story_id)])
    return story_id


def _settle_band_keys(conn) -> None:
    """Move the recent band keys to story_bands once story_bands_recent holds RECENT_BAND_KEYS.

    story_bands_recent stays small, so a poll's commit rewrites few of its pages; story_bands
    takes the keys in one sorted batch every few dozen polls instead of a scattered page per key
    at every poll. A key is in one of the two tables. Runs in the poll's transaction.
    """
    (count,) = conn.execute("select count(*) from story_bands_recent").fetchone()
    if count >= RECENT_BAND_KEYS:
        conn.execute("insert or ignore into story_bands (key, band, story_id)"
                     " select key, band, story_id from story_bands_recent order by key, band, story_id")
        conn.execute("delete from story_bands_recent")


def band_key_columns(text: str) -> tuple[int, int]:
    """A band key of syndication.band_keys ('band:hex') as stored: (the hex as a signed 64-bit integer, band)."""
    band, digest = text.split(":", 1)
    value = int(digest, 16)
    return (value - (1 << 64) if value >= 1 << 63 else value), int(band)


def _near_copy(conn, sig: tuple[int, ...], keys: list[tuple[int, int]]) -> int | None:
    # Only the few stories sharing the most band keys are compared: templated texts (a feed's
    # boilerplate) can share a key or two with thousands of stories, true copies share many.
    pairs = ",".join("(?,?)" for _ in keys)
    rows = conn.execute(
        f"with wanted (key, band) as (values {pairs})"
        f" select stories.id, stories.signature from stories join ("
        f" select story_id, count(*) as shared from ("
        f"  select bands.story_id from wanted join story_bands as bands"
        f"  on bands.key = wanted.key and bands.band = wanted.band"
        f"  union all select recent.story_id from wanted join story_bands_recent as recent"
        f"  on recent.key = wanted.key and recent.band = wanted.band)"
        f" group by story_id order by shared desc, story_id limit {NEAR_COPY_CANDIDATES}) as best"
        f" on best.story_id = stories.id", [v for key in keys for v in key]).fetchall()
    return syndication.assign_story(sig, [(row[0], tuple(json.loads(row[1]))) for row in rows])


def _revise(db, existing: dict, item: Item, *, fingerprint: str, seen_at: str) -> None:
    # The old text goes to item_revisions, so a toll revised in place keeps its history.
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
