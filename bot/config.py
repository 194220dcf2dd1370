"""Settings from the environment and the admin's feeds.yaml, validated.

This is the one module that reads os.environ. feeds.yaml is checked node by node
(PyYAML's composer keeps line numbers) so every mistake is reported with the
file, the line and what to write instead, and nothing starts on a broken file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bot.models import FeedConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = REPO_ROOT / "db" / "incident_desk.db"
DEFAULT_FEEDS = REPO_ROOT / "feeds.yaml"

FEED_KEYS = {"id", "url", "interval", "channel", "lang", "enabled", "tags"}
DEFAULTS_KEYS = FEED_KEYS - {"id", "url"}
TOP_KEYS = {"feeds", "defaults"}
DEFAULT_INTERVAL = "10m"
MIN_INTERVAL_SECONDS = 30
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
INTERVAL_PATTERN = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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


def load_settings(*, db: str | None = None, feeds: str | None = None, environ=None) -> Settings:
    """Settings from command-line values, then the environment, then defaults."""
    env = os.environ if environ is None else environ
    return Settings(
        db_path=Path(db or env.get("INCIDENT_DESK_DB") or DEFAULT_DB),
        feeds_path=Path(feeds or env.get("INCIDENT_DESK_FEEDS") or DEFAULT_FEEDS),
        max_concurrent_fetches=int(env.get("INCIDENT_DESK_CONCURRENCY", 8)),
        allow_private_feed_urls=env_flag(env, "INCIDENT_DESK_ALLOW_PRIVATE_FEEDS"),
    )


def env_flag(env, name: str) -> bool:
    """An on/off environment variable: 1, true, yes or on (any case) is on; anything else, or unset, off."""
    return (env.get(name) or "").lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in feeds.yaml, located and with a suggested fix."""

    file: str
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" + (f" ({self.hint})" if self.hint else "")


class FeedsFileError(Exception):
    """feeds.yaml cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class _Checker:
    file: str
    problems: list[ConfigProblem] = field(default_factory=list)

    def add(self, node, message: str, hint: str = "") -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(ConfigProblem(self.file, line, message, hint))


def parse_interval(text: str) -> int:
    """'90s', '10m', '1h' → seconds; ValueError with the accepted forms otherwise."""
    match = INTERVAL_PATTERN.match(str(text))
    if not match:
        raise ValueError(f"bad interval {text!r}")
    return int(match.group(1)) * INTERVAL_UNITS[match.group(2)]


def format_interval(seconds: int) -> str:
    """Seconds → the shortest feeds.yaml form ('600' → '10m')."""
    for unit in ("d", "h", "m"):
        if seconds % INTERVAL_UNITS[unit] == 0:
            return f"{seconds // INTERVAL_UNITS[unit]}{unit}"
    return f"{seconds}s"


def check_feed_url(url: str) -> str | None:
    """Why a feed URL is unusable, or None when it is fine."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    if any(ch.isspace() for ch in url):
        return "contains spaces"
    return None


def load_feeds(path: Path) -> list[FeedConfig]:
    """Read and validate feeds.yaml; FeedsFileError lists every problem."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeedsFileError([ConfigProblem(name, None, "file not found", "create it with a 'feeds:' list")])
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError([ConfigProblem(name, None, f"cannot read: {exc}")])
    return parse_feeds_yaml(text, filename=name)


def parse_feeds_yaml(text: str, *, filename: str = "feeds.yaml") -> list[FeedConfig]:
    """Validate the text of a feeds.yaml and return its feeds."""
    checker = _Checker(filename)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise FeedsFileError([ConfigProblem(filename, line, f"not valid YAML: {problem}",
                                            "check indentation and quote values containing ':' or '#'")])
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        checker.add(root, "the file must be a mapping with a 'feeds:' list", "start the file with 'feeds:'")
        raise FeedsFileError(checker.problems)

    top = _mapping(root, checker, allowed=TOP_KEYS, what="top-level key")
    defaults: dict = {}
    if "defaults" in top:
        key_node, value_node = top["defaults"]
        if isinstance(value_node, yaml.MappingNode):
            defaults = _feed_fields(value_node, checker, allowed=DEFAULTS_KEYS, what="key in defaults")
        elif not _is_null(value_node):
            checker.add(value_node, "'defaults' must be a mapping", "e.g. 'defaults: {interval: 10m}'")
    feeds: list[FeedConfig] = []
    if "feeds" not in top:
        checker.add(root, "no 'feeds:' list", "add 'feeds:' followed by '- id: ...' entries")
    else:
        _, list_node = top["feeds"]
        if _is_null(list_node):
            pass
        elif not isinstance(list_node, yaml.SequenceNode):
            checker.add(list_node, "'feeds' must be a list", "write each feed as '- id: ...' under 'feeds:'")
        else:
            feeds = _feeds_list(list_node, defaults, checker)
    if checker.problems:
        raise FeedsFileError(checker.problems)
    return feeds


def _feeds_list(list_node, defaults: dict, checker: _Checker) -> list[FeedConfig]:
    feeds: list[FeedConfig] = []
    seen_ids: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    for entry in list_node.value:
        if not isinstance(entry, yaml.MappingNode):
            checker.add(entry, "each feed must be a mapping", "write '- id: name' then 'url:' and 'interval:' below it")
            continue
        before = len(checker.problems)
        values = {**defaults, **_feed_fields(entry, checker, allowed=FEED_KEYS, what="key in a feed")}
        line = entry.start_mark.line + 1
        present = {k.value for k, _ in entry.value if isinstance(k, yaml.ScalarNode)}
        for required in ("id", "url"):
            if required not in present:
                checker.add(entry, f"feed has no '{required}'",
                            "every feed needs 'id:' (a short name) and 'url:'")
        if len(checker.problems) > before:
            continue
        feed_id, url = values["id"], values["url"]
        if feed_id in seen_ids:
            checker.add(entry, f"duplicate feed id '{feed_id}' (first on line {seen_ids[feed_id]})",
                        "give each feed its own id")
            continue
        if url in seen_urls:
            checker.add(entry, f"duplicate feed url {url} (first on line {seen_urls[url]})",
                        "remove one of the two entries")
            continue
        seen_ids[feed_id], seen_urls[url] = line, line
        feeds.append(FeedConfig(
            id=feed_id,
            url=url,
            interval_seconds=values.get("interval", parse_interval(DEFAULT_INTERVAL)),
            channel=values.get("channel"),
            lang=values.get("lang"),
            enabled=values.get("enabled", True),
            tags=tuple(values.get("tags", ())),
        ))
    return feeds


def _feed_fields(node, checker: _Checker, *, allowed: set[str], what: str) -> dict:
    """Check one feed (or the defaults block) field by field; return the good values."""
    values = {}
    for key, (key_node, value_node) in _mapping(node, checker, allowed=allowed, what=what).items():
        checked = _check_field(key, value_node, checker)
        if checked is not _INVALID:
            values[key] = checked
    return values


_INVALID = object()


def _check_field(key: str, node, checker: _Checker):
    if not isinstance(node, yaml.ScalarNode) and key != "tags":
        checker.add(node, f"'{key}' must be a single value")
        return _INVALID
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    if key == "id":
        if not ID_PATTERN.match(value):
            checker.add(node, f"bad feed id {value!r}",
                        "use lower-case letters, digits, '-' or '_', like 'bbc-africa'")
            return _INVALID
        return value
    if key == "url":
        reason = check_feed_url(value)
        if reason:
            checker.add(node, f"bad url {value!r}: {reason}", "write the full address, like https://example.com/rss.xml")
            return _INVALID
        return value
    if key == "interval":
        try:
            seconds = parse_interval(value)
        except ValueError:
            checker.add(node, f"bad interval {value!r}", "write a number and a unit: 90s, 10m, 1h or 1d")
            return _INVALID
        if seconds < MIN_INTERVAL_SECONDS:
            checker.add(node, f"interval {value!r} is too short",
                        f"polling faster than every {MIN_INTERVAL_SECONDS}s is impolite to publishers; write 30s or more")
            return _INVALID
        return seconds
    if key == "enabled":
        lowered = value.lower()
        if lowered not in ("true", "false", "yes", "no", "on", "off"):
            checker.add(node, f"bad enabled value {value!r}", "write true or false")
            return _INVALID
        return lowered in ("true", "yes", "on")
    if key == "channel":
        if not value or any(ch.isspace() for ch in value):
            checker.add(node, f"bad channel {value!r}", 'write a channel name like "#africa-desk" (quoted) or an ID like C0123')
            return _INVALID
        return value
    if key == "lang":
        if not re.match(r"^[a-z]{2}(-[A-Za-z]{2})?$", value):
            checker.add(node, f"bad language {value!r}", "write a two-letter code such as en or fr")
            return _INVALID
        return value
    if key == "tags":
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
            return tuple(n.value for n in node.value)
        checker.add(node, "'tags' must be a list of words", "write tags: [sahel, wire]")
        return _INVALID
    return _INVALID


def _mapping(node, checker: _Checker, *, allowed: set[str], what: str) -> dict:
    """Keys of a mapping node → (key node, value node); unknown and repeated keys reported."""
    out = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in allowed:
            close = _closest(str(key), allowed)
            hint = f"did you mean '{close}'?" if close else "allowed: " + ", ".join(sorted(allowed))
            checker.add(key_node, f"unknown {what} {key!r}", hint)
            continue
        if key in out:
            checker.add(key_node, f"'{key}' is given twice", "keep one")
            continue
        out[key] = (key_node, value_node)
    return out


def _closest(word: str, candidates: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def _is_null(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def dump_feeds_yaml(feeds: list[FeedConfig]) -> str:
    """Feeds → feeds.yaml text, the inverse of parse_feeds_yaml."""
    entries = []
    for feed in feeds:
        entry = {"id": feed.id, "url": feed.url, "interval": format_interval(feed.interval_seconds)}
        if feed.channel:
            entry["channel"] = feed.channel
        if feed.lang:
            entry["lang"] = feed.lang
        if not feed.enabled:
            entry["enabled"] = False
        if feed.tags:
            entry["tags"] = list(feed.tags)
        entries.append(entry)
    return yaml.safe_dump({"feeds": entries}, sort_keys=False, allow_unicode=True)


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
    )
