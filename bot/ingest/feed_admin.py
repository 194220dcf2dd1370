"""/feeds: list, add, remove, pause, resume, test, and feeds export. Admins only (checked by the caller:
the Slack handler asks who the user is; on the command line the local operator is the admin)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from bot.config import Settings, dump_feeds_yaml, parse_interval
from bot.ingest.fetch import fetch, make_client, url_problem
from bot.ingest.parse import NotAFeed, parse_feed
from bot.ingest.articles import article_health_line
from bot.ingest.intervals import adaptive_note
from db.articles import article_health
from db.audit import audit
from db.feeds import (feed_health, feed_id_taken, feed_origins, feed_url_taken, get_feed_row, recent_polls,
                      remove_feed, row_to_config, save_slack_feed, set_feed_enabled, slack_feed_rows)
from db.connection import writing

DEFAULT_INTERVAL = "10m"
FEEDS_USAGE = ("/feeds list · /feeds add <url> [every 10m] [to #channel] [full] · /feeds remove <id> · /feeds pause <id> · "
         "/feeds resume <id> · /feeds test <url>")


class FeedAdminError(ValueError):
    """A /feeds request that cannot be done; the message is written for the admin."""


@dataclass
class FeedCheck:
    """What one test fetch of a URL found."""

    ok: bool
    message: str
    title: str | None = None
    items: int = 0


def test_feed(url: str, *, settings: Settings, client: httpx.Client | None = None) -> FeedCheck:
    """Fetch a URL once and say whether it is a feed, and if not, why (never raises for a bad URL)."""
    refusal = _url_refusal(url, settings)
    if refusal:
        return FeedCheck(False, refusal)
    own = client is None
    client = client or make_client(settings)
    try:
        result = fetch(client, url, settings=settings, refuse_private=not settings.allow_private_feed_urls)
    finally:
        if own:
            client.close()
    if result.status == "error" and result.error.startswith("refused:"):  # the URL or a redirect leads inside
        return FeedCheck(False, _refused(url, result.error))
    if result.status == "error":
        return FeedCheck(False, f"{url} could not be read: {result.error}")
    try:
        parsed = parse_feed(result.body, feed_id="test", headers=result.headers, now=datetime.now(timezone.utc),
                            base_url=result.final_url)
    except NotAFeed as exc:
        return FeedCheck(False, f"{url} is {exc}")
    latest = max(parsed.items, key=lambda i: i.published, default=None)
    newest = f"; newest: “{latest.title}” ({latest.published:%d %b %Y})" if latest else ""
    return FeedCheck(True, f"{url} is a feed: “{parsed.title or 'untitled'}”, {len(parsed.items)} item(s){newest}",
                     title=parsed.title, items=len(parsed.items))


def add_feed(db, url: str, *, user: str, settings: Settings, interval: str | None = None,
             channel: str | None = None, feed_id: str | None = None, client: httpx.Client | None = None,
             full_text: bool = False) -> str:
    """Fetch once, refuse anything that is not a feed, then store it (origin 'slack') and audit it."""
    try:
        seconds = parse_interval(interval or DEFAULT_INTERVAL)
    except ValueError:
        raise FeedAdminError(f"Bad interval {interval!r}: write 90s, 10m, 1h or 1d.") from None
    if seconds < 30:
        raise FeedAdminError("Polling faster than every 30s is impolite to publishers; use 30s or more.")
    if refusal := _url_refusal(url, settings):
        raise FeedAdminError(refusal)
    if feed_url_taken(db, url):
        raise FeedAdminError(f"{url} is already a feed.")
    check = test_feed(url, settings=settings, client=client)
    if not check.ok:
        raise FeedAdminError(check.message)
    feed_id = feed_id or _new_id(db, check.title or url)
    with writing(db):
        existing = get_feed_row(db, feed_id)
        if existing and existing["origin"] == "file" and not existing["removed_at"]:
            raise FeedAdminError(f"The id {feed_id} belongs to a feed in feeds.yaml.")
        save_slack_feed(db, feed_id=feed_id, url=url, interval_seconds=seconds, channel=channel, title=check.title,
                        added_by=user, full_text=full_text)
        audit(db, actor=user, action="feed_add", target=f"feed:{feed_id}", detail={"url": url, "interval": seconds,
                                                                                   "channel": channel,
                                                                                   "full_text": full_text})
    return (f"Added {feed_id}: {check.message}. Polled every {interval or DEFAULT_INTERVAL}"
            + ("; each item's page is read for its figures." if full_text else "."))


def run_feeds_command(db, text: str, *, user: str, settings: Settings) -> tuple[bool, str]:
    """An admin's /feeds text (with or without the leading "/feeds") → (done, the reply), for Slack and the
    command line alike; every change goes to the audit log. Not done: a refusal, a URL that is no feed, usage."""
    words = re.sub(r"^/feeds\b", "", text.strip(), flags=re.IGNORECASE).split(maxsplit=1)
    verb = words[0].lower() if words else "help"
    rest = words[1].strip() if len(words) > 1 else ""
    try:
        if verb == "list":
            return True, list_feeds_text(db)
        if verb == "add":
            args = parse_add_args(rest)
            return True, add_feed(db, args["url"], interval=args["interval"], channel=args["channel"], user=user,
                                  settings=settings, full_text=args["full_text"])
        if verb in ("remove", "pause", "resume"):
            if not rest:
                raise FeedAdminError(f"Which feed? /feeds {verb} <id> (see /feeds list)")
            return True, set_feed_state(db, rest.split()[0], action=verb, user=user)
        if verb == "test":
            if not rest:
                raise FeedAdminError("Usage: /feeds test <url>")
            check = test_feed(rest.split()[0].strip("<>").split("|")[0], settings=settings)
            return check.ok, check.message
        return verb == "help", FEEDS_USAGE
    except FeedAdminError as exc:
        return False, str(exc)


def set_feed_state(db, feed_id: str, *, action: str, user: str) -> str:
    """remove, pause or resume a feed added in Slack; feeds.yaml's own feeds stay managed by the file."""
    with writing(db):
        row = get_feed_row(db, feed_id)
        if row is None or row["removed_at"]:
            raise FeedAdminError(f"No feed {feed_id!r}. See /feeds list.")
        if row["origin"] == "file":
            raise FeedAdminError(f"{feed_id} is managed by feeds.yaml: change it there (the bot reloads it).")
        if action == "remove":
            remove_feed(db, feed_id)
        elif action in ("pause", "resume"):
            set_feed_enabled(db, feed_id, enabled=action == "resume")
        else:
            raise FeedAdminError(f"Unknown action {action!r}.")
        audit(db, actor=user, action=f"feed_{action}", target=f"feed:{feed_id}")
    past = {"remove": "Removed", "pause": "Paused", "resume": "Resumed"}[action]
    return f"{past} {feed_id}."


SHOWN_URL = 200  # characters of a refused URL repeated back to the admin


def _shown(url: str) -> str:
    return url if len(url) <= SHOWN_URL else f"{url[:SHOWN_URL]}… ({len(url):,} characters)"


def _refused(url: str, error: str) -> str:
    return (f"Refused {_shown(url)}: {error.removeprefix('refused: ')}. "
            "Ask whoever runs the bot to allow private feeds.")


def _url_refusal(url: str, settings: Settings) -> str | None:
    """A readable refusal for a URL that cannot be a feed (malformed, not http(s), inside the network)."""
    problem = url_problem(url, refuse_private=not settings.allow_private_feed_urls)
    if problem is None:
        return None
    if problem.startswith("refused:"):
        return _refused(url, problem)
    return f"{_shown(url)} is not usable: {problem.removeprefix('bad URL: ')}"


def list_feeds_text(db) -> str:
    """Every feed with its health, for /feeds list."""
    with db.lock:
        health = feed_health(db)
        origins = feed_origins(db)
        pages = article_health(db)
    if not health:
        return "No feeds. Add one with /feeds add <url> [every 10m] [to #channel]."
    lines = []
    for h in health:
        state = "paused" if not h.enabled else ("FAILING" if h.consecutive_failures else ("STALE" if h.stale else "ok"))
        line = f"• {h.id} [{state}] every {h.interval_seconds}s · {h.items_per_day}/day · last ok {h.last_success_at or 'never'}"
        line += " · feeds.yaml" if origins.get(h.id) == "file" else " · added in Slack"
        if h.last_error and h.consecutive_failures:
            line += f"\n    last error: {h.last_error}"
        if h.id in pages:
            line += f"\n    {article_health_line(pages[h.id])}"
        if note := adaptive_note(h, recent_polls(db, h.id), now=datetime.now(timezone.utc)):
            line += f"\n    {note}"
        lines.append(line)
    return "\n".join(lines)


def export_slack_feeds(db) -> str:
    """Feeds added in Slack, as feeds.yaml text to commit."""
    return dump_feeds_yaml([row_to_config(row) for row in slack_feed_rows(db)])


def _new_id(db, title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "feed"
    base = base if base[0].isalnum() else f"feed-{base}"
    candidate, n = base, 2
    while feed_id_taken(db, candidate):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def parse_add_args(text: str) -> dict:
    """'<url> [every 10m] [to #channel] [full]' → url, interval, channel, full_text ('full': read each item's page)."""
    words = text.split()
    if not words:
        raise FeedAdminError("Usage: /feeds add <url> [every 10m] [to #channel] [full]")
    # Slack sends a link as <url> or <url|label>, with &, < and > escaped as entities.
    url = words[0].strip("<>").split("|")[0].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    out = {"url": url, "interval": None, "channel": None, "full_text": False}
    rest = words[1:]
    while rest:
        word = rest.pop(0).lower()
        if word == "every" and rest:
            out["interval"] = rest.pop(0)
        elif word == "to" and rest:
            out["channel"] = _channel(rest.pop(0))
        elif word == "full":
            out["full_text"] = True
        else:
            raise FeedAdminError(f"Did not understand {word!r}. Usage: /feeds add <url> [every 10m] [to #channel] [full]")
    return out


def _channel(text: str) -> str:
    if text.startswith("<#") and text.endswith(">"):
        return text[2:-1].split("|")[0]
    return text if text.startswith("#") else f"#{text}"


