"""Named queries on article pages: which items wait for their page, what the page gave, per-feed counts."""

from __future__ import annotations

from dataclasses import dataclass

from db.connection import utc_now_iso, writing

PENDING = "pending"
OK = "ok"


def mark_pending(db, item_ids: list[int]) -> None:
    """New or revised items of a full_text feed wait for their page; call inside the poll's transaction.

    A revision's page is fetched again (the article may have changed); attempts start afresh."""
    if item_ids:
        marks = ",".join("?" * len(item_ids))
        db.conn.execute(f"update items set article_status = 'pending', article_attempts = 0"
                        f" where id in ({marks}) and link is not null", item_ids)


@dataclass(frozen=True)
class PendingPage:
    item_id: int
    feed_id: str
    link: str
    origin: str  # 'slack' feeds are fetched under the private-address guard


def pending_pages(db, *, limit: int) -> list[PendingPage]:
    """Items waiting for their page, on feeds that still want full text, oldest first."""
    with db.lock:
        rows = db.execute(
            "select items.id, items.feed_id, items.link, feeds.origin from items join feeds on feeds.id = items.feed_id"
            " where items.article_status = 'pending' and feeds.full_text = 1 and feeds.removed_at is null"
            " order by items.id limit ?", [limit]).fetchall()
    return [PendingPage(row[0], row[1], row[2], row[3] or "file") for row in rows]


def count_pending(db) -> int:
    with db.lock:
        return db.execute("select count(*) from items join feeds on feeds.id = items.feed_id"
                          " where items.article_status = 'pending' and feeds.full_text = 1"
                          " and feeds.removed_at is null").fetchone()[0]


def store_article(db, item_id: int, text: str) -> None:
    """The page's article text: the item is processed again, so its figures come from the article."""
    with writing(db):
        db.execute("update items set article_text = ?, article_status = 'ok', article_fetched_at = ?,"
                   " article_attempts = article_attempts + 1, processed_at = NULL, process_error = NULL"
                   " where id = ?", [text, utc_now_iso(), item_id])


def record_failure(db, item_id: int, reason: str) -> None:
    """The page gave nothing usable: the summary stays what is read; the reason is shown in `feeds list`."""
    with writing(db):
        db.execute("update items set article_status = ?, article_fetched_at = ?,"
                   " article_attempts = article_attempts + 1 where id = ?", [reason[:200], utc_now_iso(), item_id])


def record_retry(db, item_id: int) -> int:
    """A try that will be made again later (the host asked us to wait); how many tries so far."""
    with writing(db):
        db.execute("update items set article_attempts = article_attempts + 1 where id = ?", [item_id])
        return db.execute("select article_attempts from items where id = ?", [item_id]).fetchone()[0]


def article_text(db, item_id: int) -> str | None:
    """The article's own text when its page was read, else None (the feed's text is read)."""
    row = db.execute("select article_text from items where id = ? and article_status = 'ok'", [item_id]).fetchone()
    return row[0] if row and row[0] else None


def article_state(db, item_id: int) -> dict | None:
    """article_status, article_text, article_fetched_at, article_attempts of one item (tests, `items`)."""
    with db.lock:
        rows = list(db.query("select article_status, article_text, article_fetched_at, article_attempts"
                             " from items where id = ?", [item_id]))
    return rows[0] if rows else None


@dataclass(frozen=True)
class ArticleHealth:
    """One full_text feed's pages, for `feeds list`."""

    fetched: int
    failed: int
    pending: int
    last_failure: str | None
    last_failure_at: str | None


def article_health(db) -> dict[str, ArticleHealth]:
    """Per full_text feed: pages read, pages that failed, pages waiting, and the last failure's reason."""
    out = {}
    with db.lock:
        counts = db.execute(
            "select items.feed_id, sum(article_status = 'ok'), sum(article_status not in ('ok', 'pending')),"
            " sum(article_status = 'pending') from items join feeds on feeds.id = items.feed_id"
            " where feeds.full_text = 1 and items.article_status is not null group by items.feed_id").fetchall()
        for feed_id, fetched, failed, pending in counts:
            last = db.execute(
                "select article_status, article_fetched_at from items where feed_id = ?"
                " and article_status not in ('ok', 'pending') order by article_fetched_at desc, id desc limit 1",
                [feed_id]).fetchone()
            out[feed_id] = ArticleHealth(fetched or 0, failed or 0, pending or 0,
                                         last[0] if last else None, last[1] if last else None)
    return out
