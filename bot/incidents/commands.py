"""The /incident command language: the command table, parsing, slugs and name resolution; pure."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.incidents.gazetteer import fold
from bot.models import Incident


@dataclass(frozen=True)
class Command:
    """One /incident sub-command; help is generated from this table, so it cannot drift."""

    name: str
    usage: str
    summary: str
    needs_incident: bool = True


# Dispatchers look sub-commands up here; render.render_help() prints this very table.
COMMANDS: tuple[Command, ...] = (
    Command("track", "/incident track <name> [keywords: a, b] [since: 17 September 2024] [until: …] [aliases: …] "
            "[places: …] [actors: …] [channel: #desk]",
            "Start tracking an incident; items already stored are matched at once.", needs_incident=False),
    Command("untrack", "/incident untrack <name>", "Stop tracking an incident (its ledger is kept)."),
    Command("list", "/incident list [--all]", "Every tracked incident with its window and channel; --all adds "
            "the untracked ones, whose ledgers stay reachable by slug.", needs_incident=False),
    Command("summary", "/incident <name>", "Leading figures, latest change and number of sources."),
    Command("toll", "/incident <name> toll", "Casualty figures per source, range, disputes and claims kept apart."),
    Command("timeline", "/incident <name> timeline", "How the figures changed, in publication order."),
    Command("sources", "/incident <name> sources", "Every matched article: outlet, time, link, figures it gave."),
    Command("suggest", "/incident suggest", "Emerging incidents nobody tracks yet (several outlets within hours, "
            "a casualty figure), each with the track line to type.", needs_incident=False),
    Command("digest", "/incident digest [HH:MM Zone | off]", "This channel's daily digest: set its time "
            "(08:00 Africa/Bamako), turn it off, or, alone, say when it comes.", needs_incident=False),
    Command("help", "/incident help", "This help.", needs_incident=False),
)
COMMAND_NAMES = {c.name for c in COMMANDS}
DEFAULT_LOOK_BACK_DAYS = 7  # track without since: the earliest matching story of the last week
_VIEWS = ("toll", "timeline", "sources", "summary")

# Field labels of the track command, with the spellings editors type.
_FIELDS = {
    "keywords": "keywords", "keyword": "keywords", "kw": "keywords",
    "aliases": "aliases", "alias": "aliases", "aka": "aliases",
    "places": "places", "place": "places", "where": "places",
    "actors": "actors", "actor": "actors", "who": "actors",
    "since": "since", "from": "since", "start": "since",
    "until": "until", "to": "until", "end": "until",
    "channel": "channel",
    "slug": "slug",
}
_LABEL = re.compile(r"(?<!\S)(" + "|".join(sorted(_FIELDS, key=len, reverse=True)) + r"):", re.IGNORECASE)
_SLACK_CHANNEL = re.compile(r"^<#(C[A-Z0-9]+)(?:\|([^>]*))?>$")
_STOP = {"the", "a", "an", "of", "in", "on", "at", "and", "le", "la", "les", "l", "d", "de", "des", "du", "et", "au",
         "aux", "der", "die", "das", "den", "im", "von", "und"}
SLUG_MAX = 40


class CommandError(ValueError):
    """A command the bot cannot act on; the message is written for the editor."""


@dataclass(frozen=True)
class ParsedCommand:
    """What an /incident text asks for: a command, the incident name typed, and the rest."""

    command: str  # one of COMMAND_NAMES
    name: str | None = None
    args: str = ""


def parse_command(text: str) -> ParsedCommand:
    """Split '/incident bamako toll' or '/incident track …' into command, incident name and arguments."""
    text = text.strip()
    if text.lower().startswith("/incident"):
        text = text[len("/incident"):].strip()
    if not text:
        return ParsedCommand("help")
    head, _, rest = text.partition(" ")
    word = head.lower()
    if word in ("track", "list", "help", "suggest", "digest"):
        return ParsedCommand(word, args=rest.strip())
    if word == "untrack":
        if not rest.strip():
            raise CommandError("Which incident? Usage: /incident untrack <name>")
        return ParsedCommand("untrack", name=rest.strip())
    words = text.split()
    if len(words) > 1 and words[-1].lower() in _VIEWS:
        return ParsedCommand(words[-1].lower(), name=" ".join(words[:-1]))
    return ParsedCommand("summary", name=text)


def parse_track_args(text: str, *, today: date, taken: frozenset[str] | set[str] = frozenset(),
                     created_by: str | None = None) -> Incident:
    """'Bamako attacks keywords: bamako, JNIM since: 2024-09-17 channel: #mali-desk' -> Incident."""
    labels = list(_LABEL.finditer(text))
    name = (text[:labels[0].start()] if labels else text).strip()
    if not name:
        raise CommandError("An incident needs a name: /incident track <name> keywords: … since: YYYY-MM-DD")
    fields: dict[str, str] = {}
    for i, label in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        key = _FIELDS[label.group(1).lower()]
        value = text[label.end():end].strip()
        fields[key] = f"{fields[key]}, {value}" if key in fields and key not in ("since", "until") else value
    since = _parse_date(fields["since"], field="since", today=today) if fields.get("since") else \
        today - timedelta(days=DEFAULT_LOOK_BACK_DAYS)
    until = _parse_date(fields["until"], field="until", today=today) if fields.get("until") else None
    if until is not None and until < since:
        raise CommandError(f"until ({until}) is before since ({since}).")
    slug = fields.get("slug") or slugify(name, since=since, taken=taken)
    if fields.get("slug"):
        slug = slugify(slug, since=since, taken=frozenset())
        if slug in taken:
            raise CommandError(f"The slug {slug!r} is already used by another incident.")
    return Incident(
        slug=slug, name=name, since=since, until=until,
        aliases=_split(fields.get("aliases", "")), keywords=_split(fields.get("keywords", "")),
        places=_split(fields.get("places", "")), actors=_split(fields.get("actors", "")),
        channel=_parse_channel(fields.get("channel")), created_by=created_by,
    )


def slugify(name: str, *, since: date | None = None, taken: frozenset[str] | set[str] = frozenset()) -> str:
    """A short, stable, URL-safe slug; the start date, then a counter, tell apart incidents of the same name."""
    words = [w for w in fold(name).split() if w not in _STOP] or fold(name).split() or ["incident"]
    base = ""
    for word in words:
        candidate = f"{base}-{word}" if base else word
        if len(candidate) > SLUG_MAX:
            break
        base = candidate
    base = base or words[0][:SLUG_MAX]
    if base not in taken:
        return base
    dated = f"{base}-{since.isoformat()}" if since else base
    if dated not in taken:
        return dated
    n = 2
    while f"{dated}-{n}" in taken:
        n += 1
    return f"{dated}-{n}"


@dataclass(frozen=True)
class Resolution:
    """The incident a typed name refers to, or the candidates to offer when it is not clear."""

    incident: Incident | None
    candidates: tuple[Incident, ...] = ()


def resolve_incident(name: str, incidents, *, include_all_when_unknown: bool = True) -> Resolution:
    """The exact slug wins; then an exact name or alias; else a unique prefix; never a guess: candidates otherwise."""
    incidents = list(incidents)
    query = fold(name)
    if not query:
        return Resolution(None, tuple(incidents))

    typed = name.strip().lower()
    by_slug = [i for i in incidents if i.slug == typed]
    if len(by_slug) == 1:
        return Resolution(by_slug[0])  # a slug the bot printed always works, even when names collide

    def keys(incident: Incident) -> list[str]:
        return [fold(incident.slug), fold(incident.name), *(fold(a) for a in incident.aliases)]

    exact = [i for i in incidents if query in keys(i)]
    if len(exact) == 1:
        return Resolution(exact[0])
    if exact:
        return Resolution(None, tuple(exact))
    prefixed = [i for i in incidents if any(k.startswith(query) for k in keys(i))]
    if len(prefixed) == 1:
        return Resolution(prefixed[0])
    if prefixed:
        return Resolution(None, tuple(prefixed))
    by_key = {k: i for i in incidents for k in keys(i)}
    close = difflib.get_close_matches(query, list(by_key), n=5, cutoff=0.6)
    near = tuple(dict.fromkeys(by_key[k] for k in close))
    if near:
        return Resolution(None, near)
    return Resolution(None, tuple(incidents) if include_all_when_unknown else ())


def _split(value: str) -> tuple[str, ...]:
    """Comma- (or semicolon-) separated values, trimmed, duplicates dropped, order kept."""
    parts = (p.strip().strip('"“”') for p in re.split(r"[,;]", value))
    return tuple(dict.fromkeys(p for p in parts if p))


def _parse_date(value: str, *, field: str, today: date) -> date:
    """Dates as editors write them: 2024-09-17, 17 September 2024, 17 septembre, Sep 17, yesterday."""
    value = value.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    import dateparser  # a second to import: only when an editor writes a date in words

    parsed = dateparser.parse(value, languages=["en", "fr", "de"], settings={
        "RELATIVE_BASE": datetime.combine(today, datetime.min.time()), "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day"]})
    if parsed is None:
        raise CommandError(f"{field}: a date like 2024-09-17 or 17 September 2024, not {value!r}.")
    return parsed.date()


def _parse_channel(value: str | None) -> str | None:
    """'#mali-desk' stays as typed; Slack's escaped '<#C123|mali-desk>' becomes its id 'C123'."""
    if not value:
        return None
    value = value.strip()
    escaped = _SLACK_CHANNEL.match(value)
    if escaped:
        return escaped.group(1)
    return value if value.startswith("#") else f"#{value}"
