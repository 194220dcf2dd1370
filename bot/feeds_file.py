"""feeds.yaml, validated node by node (PyYAML's composer keeps line numbers), so every mistake is
reported with the file, the line and what to write instead, and nothing starts on a broken file.

bot.config re-exports what others use (load_feeds, parse_feeds_yaml, FeedsFileError, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

from bot.models import DigestConfig, FeedConfig

FEED_KEYS = {"id", "url", "interval", "channel", "lang", "enabled", "tags", "full_text", "priority"}
DEFAULTS_KEYS = FEED_KEYS - {"id", "url"}
TOP_KEYS = {"feeds", "defaults", "digests"}
DEFAULT_INTERVAL = "10m"
MIN_INTERVAL_SECONDS = 30
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
INTERVAL_PATTERN = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A feed entry is ~200 bytes, so a thousand feeds are ~200 KB: a feeds.yaml over 1 MB is a mistake
# (or an attack) and is refused before it is read, not parsed for minutes.
MAX_FEEDS_FILE_BYTES = 1_000_000
# feeds.yaml needs 4 levels (file > feeds list > feed > tags); deeper nesting is refused before
# PyYAML's recursive composer can overflow the stack (a file nested 10,000 deep did).
MAX_NESTING = 16
MAX_PROBLEMS = 50  # problems listed; the rest are counted ("… and N more")


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

    def __init__(self, problems: list[ConfigProblem], *, total: int | None = None):
        self.problems = problems  # the first MAX_PROBLEMS, then one line counting the rest
        self.total = total if total is not None else len(problems)  # every problem found
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class _Checker:
    file: str
    problems: list[ConfigProblem] = field(default_factory=list)
    count: int = 0  # every problem found; only the first MAX_PROBLEMS are kept

    def add(self, node, message: str, hint: str = "") -> None:
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            line = node.start_mark.line + 1 if node is not None else None
            self.problems.append(ConfigProblem(self.file, line, message, hint))

    def fail(self) -> FeedsFileError:
        problems = list(self.problems)
        if self.count > len(problems):
            problems.append(ConfigProblem(self.file, None, f"… and {self.count - len(problems):,} more problem(s)",
                                          "fix the ones above and check again"))
        return FeedsFileError(problems, total=self.count)


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


# Longer than any feed address we have seen (Google News search feeds are ~300 characters) and
# within what servers accept (8 KB request lines): a longer "URL" is a mistake or an attack.
MAX_URL_LENGTH = 2048


def check_feed_url(url: str) -> str | None:
    """Why a feed URL is unusable, or None when it is fine (what httpx would refuse included)."""
    if not isinstance(url, str) or not url:
        return "is empty"
    if len(url) > MAX_URL_LENGTH:
        return f"is too long ({len(url):,} characters; at most {MAX_URL_LENGTH:,})"
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"not a URL ({exc})"
    return None


@dataclass(frozen=True)
class FeedsFile:
    """What feeds.yaml configures: its feeds and its channels' daily digests (bot/digests_file.py)."""

    feeds: list[FeedConfig]
    digests: list[DigestConfig]


def load_feeds(path: Path) -> list[FeedConfig]:
    """Read and validate feeds.yaml; FeedsFileError lists every problem."""
    return load_feeds_file(path).feeds


def load_digests(path: Path) -> list[DigestConfig]:
    """The `digests:` of a valid feeds.yaml; FeedsFileError lists every problem of the file."""
    return load_feeds_file(path).digests


def load_feeds_file(path: Path) -> FeedsFile:
    name = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FEEDS_FILE_BYTES:
            raise FeedsFileError([_too_big(name, size)])
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeedsFileError([ConfigProblem(name, None, "file not found", "create it with a 'feeds:' list")])
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError([ConfigProblem(name, None, f"cannot read: {exc}")])
    return parse_feeds_file(text, filename=name)


def parse_feeds_yaml(text: str, *, filename: str = "feeds.yaml") -> list[FeedConfig]:
    """Validate the text of a feeds.yaml and return its feeds."""
    return parse_feeds_file(text, filename=filename).feeds


def parse_digests_yaml(text: str, *, filename: str = "feeds.yaml") -> list[DigestConfig]:
    """Validate the text of a feeds.yaml and return its digests."""
    return parse_feeds_file(text, filename=filename).digests


def parse_feeds_file(text: str, *, filename: str = "feeds.yaml") -> FeedsFile:
    """Validate the text of a feeds.yaml: its feeds and digests, every problem of either reported."""
    from bot.digests_file import digests_list

    checker = _Checker(filename)
    size = len(text.encode("utf-8", "surrogatepass")) if len(text) * 4 > MAX_FEEDS_FILE_BYTES else len(text)
    if size > MAX_FEEDS_FILE_BYTES:
        raise FeedsFileError([_too_big(filename, size)])
    try:
        _check_nesting(text, filename)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise FeedsFileError([ConfigProblem(filename, line, f"not valid YAML: {problem}",
                                            "check indentation and quote values containing ':' or '#'")])
    except RecursionError:  # _check_nesting should make this impossible; never a traceback
        raise FeedsFileError([ConfigProblem(filename, None, "nested too deeply", _NESTING_HINT)]) from None
    if root is None:
        raise FeedsFileError([ConfigProblem(filename, None, "the file is empty",
                                            "write 'feeds:' then, for each feed, '  - id: a-name' and "
                                            "'    url: https://…' below it (see the README)")])
    if not isinstance(root, yaml.MappingNode):
        checker.add(root, "the file must be a mapping with a 'feeds:' list", "start the file with 'feeds:'")
        raise checker.fail()

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
    digests = digests_list(top["digests"][1], checker) if "digests" in top else []
    if checker.count:
        raise checker.fail()
    return FeedsFile(feeds, digests)


def _too_big(filename: str, size: int) -> ConfigProblem:
    return ConfigProblem(filename, None, f"the file is too big ({size:,} bytes; at most {MAX_FEEDS_FILE_BYTES:,})",
                         "a thousand feeds take about 200 KB: is this the right file?")


_NESTING_HINT = f"feeds.yaml needs 4 levels at most (feeds, a feed, its tags); at most {MAX_NESTING} are read"


def _check_nesting(text: str, filename: str) -> None:
    """Refuse nesting deeper than MAX_NESTING, scanning events (no recursion) before composing."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: 10x faster, not recursive
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_NESTING:
                raise FeedsFileError([ConfigProblem(filename, event.start_mark.line + 1,
                                                    f"nested more than {MAX_NESTING} levels deep", _NESTING_HINT)])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _feeds_list(list_node, defaults: dict, checker: _Checker) -> list[FeedConfig]:
    feeds: list[FeedConfig] = []
    seen_ids: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    for entry in list_node.value:
        if not isinstance(entry, yaml.MappingNode):
            checker.add(entry, "each feed must be a mapping", "write '- id: name' then 'url:' and 'interval:' below it")
            continue
        before = checker.count
        values = {**defaults, **_feed_fields(entry, checker, allowed=FEED_KEYS, what="key in a feed")}
        line = entry.start_mark.line + 1
        present = {k.value for k, _ in entry.value if isinstance(k, yaml.ScalarNode)}
        for required in ("id", "url"):
            if required not in present:
                checker.add(entry, f"feed has no '{required}'",
                            "every feed needs 'id:' (a short name) and 'url:'")
        # Duplicates are found among every readable id and url, whatever else is wrong with the
        # entries, so all the problems come out in one pass.
        feed_id, url = values.get("id"), values.get("url")
        if feed_id is not None and feed_id in seen_ids:
            checker.add(entry, f"duplicate feed id '{feed_id}' (first on line {seen_ids[feed_id]})",
                        "give each feed its own id")
        elif feed_id is not None:
            seen_ids[feed_id] = line
        if url is not None and url in seen_urls:
            checker.add(entry, f"duplicate feed url {url} (first on line {seen_urls[url]})",
                        "remove one of the two entries")
        elif url is not None:
            seen_urls[url] = line
        if checker.count > before:
            continue
        feeds.append(FeedConfig(
            id=feed_id,
            url=url,
            interval_seconds=values.get("interval", parse_interval(DEFAULT_INTERVAL)),
            channel=values.get("channel"),
            lang=values.get("lang"),
            enabled=values.get("enabled", True),
            tags=tuple(values.get("tags", ())),
            full_text=values.get("full_text", False),
            priority=values.get("priority", False),
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
    if key in ("enabled", "full_text", "priority"):
        lowered = value.lower()
        if lowered not in ("true", "false", "yes", "no", "on", "off"):
            checker.add(node, f"bad {key} value {value!r}", "write true or false")
            return _INVALID
        return lowered in ("true", "yes", "on")
    if key == "channel":
        if not value:
            checker.add(node, "channel is empty", 'quote it: channel: "#africa-desk" (an unquoted # starts a comment)')
            return _INVALID
        if any(ch.isspace() for ch in value) or len(value) > 81:
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
        entry.update({key: True for key in ("full_text", "priority") if getattr(feed, key)})
        entries.append(entry)
    return yaml.safe_dump({"feeds": entries}, sort_keys=False, allow_unicode=True)
