"""Settings from the environment and the admin's feeds.yaml, validated.

This is the one module that reads os.environ. feeds.yaml is read and checked in bot.feeds_file
(re-exported here).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# feeds.yaml lives in bot.feeds_file; these names stay importable from here.
from bot.feeds_file import (DEFAULT_INTERVAL, MIN_INTERVAL_SECONDS, ConfigProblem,  # noqa: F401
                            FeedsFile, FeedsFileError, check_feed_url, dump_feeds_yaml, format_interval,
                            load_digests, load_feeds, load_feeds_file, parse_digests_yaml, parse_feeds_yaml,
                            parse_interval)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = REPO_ROOT / "db" / "incident_desk.db"
DEFAULT_FEEDS = REPO_ROOT / "feeds.yaml"


@dataclass(frozen=True)
class Settings:
    """Everything the process needs that is not a feed."""

    db_path: Path
    feeds_path: Path
    max_concurrent_fetches: int = 8
    user_agent: str = "IncidentDesk/0.1 (+newsroom feed monitor)"
    max_body_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_redirects: int = 5
    backoff_cap_seconds: int = 6 * 3600
    # Feeds added in Slack may not lead to loopback/private/link-local addresses, at /feeds add
    # and at every poll (a public name can later resolve or redirect inward), unless allowed.
    allow_private_feed_urls: bool = False
    # Article pages (feeds with full_text): the least time between two requests to one host, so a
    # burst of new items never hammers a publisher's site. Tests set 0.
    article_host_delay: float = 1.0
    article_batch: int = 50  # pages one background step fetches at most
    # A full_text feed's new or revised item is not processed (no match, no alert) while its page is
    # pending, for at most this long: one alert from the article, not a summary's then the article's.
    article_grace_seconds: float = 120.0
    # The bot's public base URL (https://desk.example.org): with it, feeds that advertise a WebSub
    # hub are subscribed to, the hub pushing to <public_url>/websub/<feed id> (bot/ingest/websub.py).
    public_url: str | None = None
    # Feed polls: at most per_host requests to one host at a time, each at least host_gap seconds
    # after the one before it began and after the last one ended (500 feeds of one publisher
    # never hammer it). Tests on 127.0.0.1 set a gap of 0.
    per_host: int = 2
    host_gap: float = 0.5
    # Processes parsing fetched feeds side by side (bot/ingest/parse_pool.py); storing stays in one writer.
    parse_workers: int = max(1, os.cpu_count() or 1)
    # Distributed mode (README, "Past one box"): with a Redis URL, `run` enqueues its polls there and
    # `python -m bot worker` processes, on any machine, fetch and parse them; the bot stays the one writer.
    queue_url: str | None = None
    # A worker silent this long is taken for dead and its unacknowledged polls are handed to others.
    queue_heartbeat_seconds: float = 60.0


def load_settings(*, db: str | None = None, feeds: str | None = None, environ=None) -> Settings:
    """Settings from command-line values, then the environment, then defaults."""
    env = os.environ if environ is None else environ
    return Settings(
        db_path=Path(db or env.get("INCIDENT_DESK_DB") or DEFAULT_DB),
        feeds_path=Path(feeds or env.get("INCIDENT_DESK_FEEDS") or DEFAULT_FEEDS),
        max_concurrent_fetches=int(env.get("INCIDENT_DESK_CONCURRENCY", 8)),
        allow_private_feed_urls=env_flag(env, "INCIDENT_DESK_ALLOW_PRIVATE_FEEDS"),
        public_url=public_base_url(env.get("INCIDENT_DESK_PUBLIC_URL")),
        per_host=max(1, int(env.get("INCIDENT_DESK_PER_HOST") or 2)),
        host_gap=max(0.0, float(env.get("INCIDENT_DESK_HOST_GAP") or 0.5)),
        parse_workers=max(1, int(env.get("INCIDENT_DESK_PARSE_WORKERS") or os.cpu_count() or 1)),
        queue_url=(env.get("INCIDENT_DESK_QUEUE_URL") or "").strip() or None,
        queue_heartbeat_seconds=max(1.0, float(env.get("INCIDENT_DESK_QUEUE_HEARTBEAT") or 60)),
    )


def public_base_url(value: str | None) -> str | None:
    """INCIDENT_DESK_PUBLIC_URL checked: an http(s) URL with a host, no query; without its trailing slash."""
    value = (value or "").strip()
    if not value:
        return None
    if problem := check_feed_url(value):
        raise ValueError(f"INCIDENT_DESK_PUBLIC_URL: {problem}")
    if "?" in value or "#" in value:
        raise ValueError("INCIDENT_DESK_PUBLIC_URL: a base URL has no query or fragment")
    return value.rstrip("/")


def env_flag(env, name: str) -> bool:
    """An on/off environment variable: 1, true, yes or on (any case) is on; anything else, or unset, off."""
    return (env.get(name) or "").lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SlackSettings:
    """How the bot reaches Slack; mode follows from which tokens are set."""

    bot_token: str | None = None
    app_token: str | None = None  # xapp-…: Socket Mode, no public URL needed
    signing_secret: str | None = None  # HTTP mode verifies every request with it
    api_url: str = "https://slack.com/api/"  # GovSlack workspaces and the tests use another
    port: int = 3000
    admins: frozenset[str] = frozenset()  # Slack user IDs allowed to run /feeds
    workspace_admins_are_admins: bool = False
    admin_channel: str | None = None  # where problems for admins are posted (else a DM to each admin)
    channel_messages_per_minute: int = 20  # alerts per channel before the rest waits
    suggest_channel: str | None = None  # where each new emerging incident is posted once (else nowhere)

    @property
    def mode(self) -> str:
        """socket, http or console."""
        if self.bot_token and self.app_token:
            return "socket"
        if self.bot_token and self.signing_secret:
            return "http"
        return "console"


def load_slack_settings(environ=None) -> SlackSettings:
    """Slack settings from the environment (see the README's Slack section)."""
    env = os.environ if environ is None else environ
    api_url = env.get("SLACK_API_URL") or SlackSettings.api_url
    return SlackSettings(
        bot_token=env.get("SLACK_BOT_TOKEN") or None,
        app_token=env.get("SLACK_APP_TOKEN") or None,
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        port=int(env.get("PORT") or 3000),
        admins=frozenset(u.strip() for u in (env.get("INCIDENT_DESK_ADMINS") or "").split(",") if u.strip()),
        workspace_admins_are_admins=env_flag(env, "INCIDENT_DESK_WORKSPACE_ADMINS"),
        admin_channel=env.get("INCIDENT_DESK_ADMIN_CHANNEL") or None,
        channel_messages_per_minute=int(env.get("INCIDENT_DESK_CHANNEL_RATE") or 20),
        suggest_channel=(env.get("INCIDENT_DESK_SUGGEST_CHANNEL") or "").strip() or None,
    )
