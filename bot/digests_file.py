"""feeds.yaml's `digests:` block, checked like the rest of the file (bot/feeds_file.py's _Checker):

    digests:
      - channel: "#africa-desk"
        at: "08:00"
        tz: Africa/Bamako
        feeds: false          # true adds the feeds that failed (the admins' channel)

Also the checks `/incident digest HH:MM Zone` shares: check_clock and check_zone.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.models import DigestConfig

DIGEST_KEYS = {"channel", "at", "tz", "feeds"}
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DIGEST_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{8,})$")
ZONE_HINT = "write an IANA time zone such as Africa/Bamako, Europe/Paris or UTC"


def check_clock(text: str) -> str | None:
    """'8:00' → '08:00'; None when it is not a 24-hour HH:MM time."""
    found = CLOCK.match((text or "").strip())
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else None


def check_zone(text: str) -> ZoneInfo | None:
    """The IANA time zone named, or None when there is no such zone."""
    name = (text or "").strip()
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def closest_zone(text: str) -> str | None:
    import difflib
    import zoneinfo

    found = difflib.get_close_matches(text, sorted(zoneinfo.available_timezones()), n=1, cutoff=0.7)
    return found[0] if found else None


def digests_list(list_node, checker) -> list[DigestConfig]:
    """The `digests:` list, every problem reported to the feeds file's checker with its line."""
    from bot.feeds_file import _is_null, _mapping

    if _is_null(list_node):
        return []
    if not isinstance(list_node, yaml.SequenceNode):
        checker.add(list_node, "'digests' must be a list",
                    "write each digest as '- channel: \"#desk\"' with 'at:' and 'tz:' below it")
        return []
    digests: list[DigestConfig] = []
    seen: dict[str, int] = {}
    for entry in list_node.value:
        if not isinstance(entry, yaml.MappingNode):
            checker.add(entry, "each digest must be a mapping",
                        "write '- channel: \"#africa-desk\"' then 'at: \"08:00\"' and 'tz: Africa/Bamako' below it")
            continue
        before = checker.count
        values = {}
        for key, (_, value_node) in _mapping(entry, checker, allowed=DIGEST_KEYS, what="key in a digest").items():
            value = _digest_field(key, value_node, checker)
            if value is not None:
                values[key] = value
        present = {k.value for k, _ in entry.value if isinstance(k, yaml.ScalarNode)}
        for required in ("channel", "at"):
            if required not in present:
                checker.add(entry, f"digest has no '{required}'",
                            "every digest needs 'channel:' and 'at:' (HH:MM), and usually 'tz:'")
        channel = values.get("channel")
        if channel is not None and channel in seen:
            checker.add(entry, f"duplicate digest for {channel} (first on line {seen[channel]})",
                        "one digest a channel: keep one entry")
        elif channel is not None:
            seen[channel] = entry.start_mark.line + 1
        if checker.count == before:
            digests.append(DigestConfig(channel=channel, at=values["at"], tz=values.get("tz", "UTC"),
                                        feeds=values.get("feeds", False)))
    return digests


def _digest_field(key: str, node, checker):
    """One field's good value, or None after reporting it."""
    if not isinstance(node, yaml.ScalarNode):
        checker.add(node, f"'{key}' must be a single value")
        return None
    value = node.value.strip()
    if key == "channel":
        if not value:
            checker.add(node, "channel is empty", 'quote it: channel: "#africa-desk" (an unquoted # starts a comment)')
            return None
        if not DIGEST_CHANNEL.match(value):
            checker.add(node, f"bad channel {value!r}", 'write a channel name like "#africa-desk" (quoted) or an ID like C0123ABCD')
            return None
        return value
    if key == "at":
        clock = check_clock(value)
        if clock is None:
            checker.add(node, f"bad time {value!r}", 'write a 24-hour time, quoted: at: "08:00"')
        return clock
    if key == "tz":
        if check_zone(value) is None:
            close = closest_zone(value)
            checker.add(node, f"unknown time zone {value!r}", f"did you mean '{close}'?" if close else ZONE_HINT)
            return None
        return value
    lowered = value.lower()  # feeds
    if lowered not in ("true", "false", "yes", "no", "on", "off"):
        checker.add(node, f"bad feeds value {value!r}", "write true (add the feeds that failed) or false")
        return None
    return lowered in ("true", "yes", "on")
