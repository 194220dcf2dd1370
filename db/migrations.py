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
