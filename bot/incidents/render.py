"""Plain-text replies for /incident: data in, str out; Block Kit comes later from the same data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from bot.incidents.commands import COMMANDS, Command
from bot.incidents.matching import Match
from bot.models import Incident, LedgerEntry
from bot.incidents.figures import Figure, metric_words, source_label, source_words
from bot.incidents.toll_model import Change, MetricToll, Standing, Toll
from bot.incidents.toll_events import TollEvent

_HEADINGS = {"killed": "Killed", "injured": "Injured", "missing": "Missing", "kidnapped": "Kidnapped",
             "killed_or_injured": "Killed or injured", "named_victims": "Named victims"}


@dataclass(frozen=True)
class SourceRow:
    """One matched article for '/incident <name> sources'."""

    outlet: str
    published: datetime
    title: str
    link: str | None = None
    figures: tuple[str, ...] = ()  # "official: 77 killed", as figures_by_item() writes them
    outlets: tuple[str, ...] = ()  # other outlets that carried the same story
    terms: tuple[str, ...] = ()  # why it matched


def when(moment: datetime | None, *, tz: tzinfo | None = None, time: bool = True) -> str:
    """'19 Sep 2024 12:00 UTC' (or in the reader's time zone when tz is given)."""
    if moment is None:
        return "unknown time"
    local = moment.astimezone(tz or timezone.utc)
    text = f"{local.day} {local:%b %Y}"
    return f"{text} {local:%H:%M} {local.tzname() or ''}".rstrip() if time else text


def figure_line(entry: LedgerEntry) -> str:
    """One ledger entry as a short phrase: 'security sources: more than 75 killed'."""
    figure = Figure.from_claim(entry.claim)
    return f"{source_words(entry.claim.source)}: {figure.text} {metric_words(entry.claim.metric)}"


def figures_by_item(entries: Iterable[LedgerEntry]) -> dict[int, tuple[str, ...]]:
    """item id -> the figures it gave, current entries only, in text order (for SourceRow.figures)."""
    out: dict[int, list[str]] = {}
    for e in sorted(entries, key=lambda e: (e.item_id, e.claim.start)):
        if e.status == "current":
            line = figure_line(e)
            if line not in out.setdefault(e.item_id, []):
                out[e.item_id].append(line)
    return {k: tuple(v) for k, v in out.items()}


def render_summary(incident: Incident, toll: Toll, *, stories: int = 0, outlets: int = 0,
                   tz: tzinfo | None = None) -> str:
    """'/incident <name>': the leading figures, the latest change and how much coverage there is."""
    lines = [_title(incident)]
    for metric, mt in toll.metrics.items():
        if metric == "named_victims":
            continue
        if mt.leading is not None:
            parts = [f"{_HEADINGS.get(metric, metric)}: {mt.leading.figure.text} ({source_words(mt.leading.source)})"]
            if mt.low and mt.high and (mt.low.figure != mt.high.figure):
                parts.append(f"range {mt.low.figure.text} to {mt.high.figure.text}")
            if mt.disputes:
                parts.append(f"{len(mt.disputes)} dispute{'s' if len(mt.disputes) > 1 else ''}")
            lines.append(" · ".join(parts))
        for claim in mt.apart:
            lines.append(f"Claimed by the armed group: {claim.figure.text} {metric_words(metric)}")
    named = toll.get("named_victims")
    if named and named.leading:
        lines.append(f"Named victims: at least {named.leading.figure.number}")
    if not toll.metrics:
        lines.append("No casualty figure reported yet.")
    coverage = f"Coverage: {stories} stor{'y' if stories == 1 else 'ies'}"
    coverage += f" from {outlets} outlet{'' if outlets == 1 else 's'}" if outlets else ""
    if toll.updated:
        coverage += f" · last figure {when(toll.updated, tz=tz)}"
    lines.append(coverage)
    if toll.timeline:
        lines.append(f"Latest change: {_change_text(toll.timeline[-1], tz=tz)}")
    lines.append(f"More: /incident {incident.slug} toll | timeline | sources")
    return "\n".join(lines)


def render_toll(incident: Incident, toll: Toll, *, tz: tzinfo | None = None) -> str:
    """'/incident <name> toll': per metric the leading figure, range, every source, disputes, claims apart."""
    lines = [f"{_title(incident)} — toll"]
    if toll.updated:
        lines[0] += f" (as of {when(toll.updated, tz=tz)})"
    if not toll.metrics:
        return "\n".join([*lines, "No casualty figure reported yet."])
    for metric, mt in toll.metrics.items():
        lines.append("")
        lines.extend(_metric_block(metric, mt, tz=tz))
    return "\n".join(lines)


def render_timeline(incident: Incident, toll: Toll, *, tz: tzinfo | None = None) -> str:
    """'/incident <name> timeline': every new figure in publication order."""
    lines = [f"{_title(incident)} — timeline"]
    if not toll.timeline:
        lines.append("No casualty figure reported yet.")
    for change in toll.timeline:
        lines.append(f"• {_change_text(change, tz=tz)}")
    return "\n".join(lines)


def render_sources(incident: Incident, rows: Sequence[SourceRow], *, tz: tzinfo | None = None) -> str:
    """'/incident <name> sources': every matched article with outlet, time, link and figures."""
    lines = [f"{_title(incident)} — sources ({len(rows)})"]
    if not rows:
        lines.append("No article matched yet.")
    for row in sorted(rows, key=lambda r: r.published):
        lines.append(f"• {when(row.published, tz=tz)} · {row.outlet} · {row.title}")
        if row.outlets:
            lines.append(f"  also carried by: {', '.join(o for o in row.outlets if o != row.outlet)}")
        if row.link:
            lines.append(f"  {row.link}")
        lines.append(f"  figures: {'; '.join(row.figures) if row.figures else 'none'}")
        if row.terms:
            lines.append(f"  matched on: {', '.join(row.terms)}")
    return "\n".join(lines)


def render_list(incidents: Iterable[Incident], *, untracked: set[str] = frozenset()) -> str:
    """'/incident list': every tracked incident (with --all, the untracked too), window, channel, other names."""
    incidents = sorted(incidents, key=lambda i: (i.since, i.slug))
    if not incidents:
        return "No incident is tracked. Start one with /incident track <name> keywords: … since: 17 September 2024"
    lines = [f"{'Incidents' if untracked else 'Tracked incidents'} ({len(incidents)}):"]
    for i in incidents:
        window = f"since {i.since.isoformat()}" + (f" until {i.until.isoformat()}" if i.until else "")
        parts = [f"• {i.slug} — {i.name}" + (" (untracked)" if i.slug in untracked else ""), window]
        if i.channel:
            parts.append(i.channel)
        if i.aliases:
            parts.append("aka " + ", ".join(i.aliases))
        lines.append(" · ".join(parts))
    return "\n".join(lines)


def render_help(commands: Sequence[Command] = COMMANDS) -> str:
    """'/incident help', generated from the command table the dispatcher uses."""
    lines = ["/incident — track incidents and their casualty figures", ""]
    for c in commands:
        lines.append(f"{c.usage}")
        lines.append(f"    {c.summary}")
    lines.append("")
    lines.append("<name> is a slug, an alias or any unambiguous beginning of one (\"bamako\").")
    return "\n".join(lines)


def render_candidates(name: str, candidates: Sequence[Incident]) -> str:
    """The reply when a name is ambiguous or unknown: the candidates, never a guess."""
    if not candidates:
        return f"No incident matches “{name}”, and none is tracked. See /incident help."
    listed = ", ".join(f"{c.slug} ({c.name})" for c in candidates)
    return f"“{name}” could be: {listed}. Say which one (slug or a longer name)."


def render_event(event: TollEvent) -> str:
    """An alert as one console / Slack line."""
    return f"[{event.incident}] {event.text}"


def render_match(match: Match) -> str:
    """Why an item joined an incident, for editors."""
    weak = ", weak" if match.weak else ""
    return f"{match.incident} (score {match.score:g}{weak}): {', '.join(match.terms)}"


# --- internals ---------------------------------------------------------------------------------------

def _title(incident: Incident) -> str:
    return f"{incident.name} ({incident.slug})"


def _metric_block(metric: str, mt: MetricToll, *, tz: tzinfo | None) -> list[str]:
    heading = _HEADINGS.get(metric, metric)
    if metric == "named_victims":
        heading += " (a lower bound on the dead)"
    lines = [heading]
    if mt.leading is not None:
        prefix = "at least " if metric == "named_victims" and mt.leading.figure.qualifier == "exact" else ""
        lines.append(f"  Leading: {prefix}{mt.leading.figure.text} "
                     f"({source_words(mt.leading.source)}, since {when(mt.leading.since, tz=tz, time=False)})")
        if mt.why:
            lines.append(f"  Why it leads: {mt.why}")
    if mt.low and mt.high and mt.low.figure != mt.high.figure:
        lines.append(f"  Range: {mt.low.figure.text} ({source_words(mt.low.source)}) to "
                     f"{mt.high.figure.text} ({source_words(mt.high.source)})")
    for standing in mt.standings:
        lines.append(f"  • {_standing_text(standing, tz=tz)}")
    for part in mt.parts:
        lines.append(f"    including {part.figure.text} ({_who(part)}; {source_words(part.source)})")
    for attackers in mt.attackers:
        lines.append(f"  And {attackers.figure.text} attackers, per {source_words(attackers.source)} (not in the toll)")
    for dispute in mt.disputes:
        lines.append(f"  ! {dispute}")
    for claim in mt.apart:
        lines.append(f"  Claimed by the armed group, not in the range: {_standing_text(claim, tz=tz, label=False)}")
    return lines


def _who(standing: Standing) -> str:
    """'children', 'soldiers': who a part of the toll counts, as the text says."""
    return standing.who or "a part of the toll"


def _standing_text(s: Standing, *, tz: tzinfo | None, label: bool = True) -> str:
    head = f"{source_label(s.source)}: {s.figure.text}" if label else s.figure.text
    reports = f"{s.reports} report{'s' if s.reports != 1 else ''}"
    text = f"{head} (latest, since {when(s.since, tz=tz, time=False)}; {reports}: {', '.join(s.outlets)})"
    if s.previous:
        text += f" after {', then '.join(f.text for f in s.previous)}"
    return text


def _change_text(change: Change, *, tz: tzinfo | None) -> str:
    text = (f"{when(change.when, tz=tz)} {source_words(change.source)}: "
            f"{change.figure.text} {metric_words(change.metric)}")
    notes = []
    if change.leading:
        notes.append("now leading")
    if change.previous is not None:
        notes.append(f"was {change.previous.text}")
    if change.source == "perpetrator_claim":
        notes.append("claim")
    if notes:
        text += f" ({'; '.join(notes)})"
    return f"{text} — {change.outlet}"
