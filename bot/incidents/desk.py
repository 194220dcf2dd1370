"""The /incident commands, executed against the database: the same code answers the CLI's `ask` and Slack."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from bot.incidents import render
from bot.incidents.commands import CommandError, parse_command, parse_track_args, resolve_incident
from bot.incidents.matching import Matcher
from bot.models import Incident
from bot.incidents.processing import IncidentProcessor, ProcessOutcome
from bot.slack.blocks import alert_blocks, clip, escape, parent_blocks, toll_blocks
from bot.incidents.toll import Figure
from bot.incidents.toll_cache import TollCache
from db import from_iso, utc_now_iso
from db.audit import audit
from db.incidents import active_incidents, incidents_version, insert_incident, taken_slugs, untrack_incident
from db.connection import writing


@dataclass
class Reply:
    """What the bot answers: plain text always; candidates when a name was not clear."""

    text: str
    incident: str | None = None  # slug the reply is about
    candidates: list[str] = field(default_factory=list)  # slugs to offer as "did you mean" buttons
    ok: bool = True
    view: str | None = None  # summary, toll, timeline or sources
    blocks: list = field(default_factory=list)  # Block Kit of the same answer, when richer than the text


def verified_figures(entries) -> dict[tuple[str, str, str], str]:
    """(metric, source, figure text) → the editor who verified that figure."""
    return {(e.claim.metric, e.claim.source, Figure.from_claim(e.claim).text): e.verified_by
            for e in entries if e.verified_by and e.status == "current"}


class Desk:
    """Answers /incident commands; owns the processor so tracking and polling share one matcher."""

    def __init__(self, db, *, processor: IncidentProcessor | None = None):
        self.db = db
        self._processor = processor
        self.tolls = TollCache(db)
        self._incidents: tuple[tuple, dict[int, Incident]] | None = None

    @property
    def processor(self) -> IncidentProcessor:
        """Built on first use: its matcher takes a second or two, and only track/untrack need it here."""
        if self._processor is None:
            self._processor = IncidentProcessor(self.db)
        return self._processor

    def incidents(self) -> dict[int, Incident]:
        """Tracked incidents, re-read only when one was tracked or untracked."""
        version = incidents_version(self.db)
        if self._incidents is None or self._incidents[0] != version:
            self._incidents = (version, active_incidents(self.db))
        return self._incidents[1]

    def ask(self, text: str, *, user: str | None = None, today: date | None = None) -> Reply:
        """Run one /incident command and return the reply."""
        try:
            command = parse_command(text)
            if command.command == "help":
                return Reply(render.render_help())
            if command.command == "list":
                return Reply(render.render_list(list(self.incidents().values())))
            if command.command == "track":
                return self.track(command.args, user=user, today=today or datetime.now(timezone.utc).date())
            found = self._resolve(command.name)
            if isinstance(found, Reply):
                found.view = command.command
                return found
            incident_id, incident = found
            if command.command == "untrack":
                untrack_incident(self.db, incident_id)
                self.processor.refresh()
                return Reply(f"Stopped tracking {incident.name} ({incident.slug}). Its ledger is kept.",
                             incident=incident.slug)
            reply = Reply(self.view(command.command, incident_id, incident), incident=incident.slug,
                          view=command.command)
            if command.command == "toll":
                ledger = self.tolls.get(incident_id)
                reply.blocks = [block.to_dict() for block in
                                toll_blocks(incident, ledger.toll, verified=verified_figures(ledger.entries))]
            return reply
        except CommandError as exc:
            return Reply(str(exc), ok=False)

    def _resolve(self, name: str) -> tuple[int, Incident] | Reply:
        incidents = self.incidents()
        resolution = resolve_incident(name, incidents.values())
        if resolution.incident is None:
            return Reply(render.render_candidates(name, resolution.candidates), ok=False,
                         candidates=[c.slug for c in resolution.candidates])
        incident_id = next(i for i, inc in incidents.items() if inc.slug == resolution.incident.slug)
        return incident_id, resolution.incident

    def warm(self) -> int:
        """Compute every tracked incident's toll that changed since last time; returns how many were due."""
        due = 0
        for incident_id in self.incidents():
            before = self.tolls.cached_version(incident_id)
            if self.tolls.get(incident_id).version != before:
                due += 1
        return due

    def parent_message(self, incident_id: int) -> tuple[str, list[dict]]:
        """The incident thread's parent message: the current toll, the same computation as the answers."""
        incident = self.incidents().get(incident_id)
        if incident is None:
            return "Incident no longer tracked", []
        ledger = self.tolls.get(incident_id)
        return f"{escape(incident.name)}: current toll", parent_blocks(incident, ledger.toll,
                                                               verified=verified_figures(ledger.entries))

    def alert_message(self, row: dict) -> tuple[str, list[dict]]:
        """One outbox row as a Slack message, with feedback buttons for the figures it is about."""
        payload = json.loads(row["payload"] or "{}")
        payload["item_id"] = row.get("item_id")
        with self.db.lock:
            claims = [dict(r) for r in self.db.query(
                "select id, metric, source, value, low, high, qualifier, vague from claims"
                " where item_id = ? and status = 'current' order by start", [row.get("item_id")])]
        wanted = {(e.get("metric"), e.get("source")) for e in payload.get("events", [])}
        relevant = [c for c in claims if (c["metric"], c["source"]) in wanted] or claims
        for claim in relevant:
            claim["figure"] = Figure(value=claim["value"], qualifier=claim["qualifier"], low=claim["low"],
                                     high=claim["high"], vague=claim["vague"]).text
        text = payload.get("text") or payload.get("title") or "Incident update"
        return clip(escape(text), 3000), alert_blocks(incident_id=row["incident_id"], payload=payload, claims=relevant)

    def toll(self, incident_id: int):
        """The incident's toll now: the one computation alerts and answers share."""
        return self.tolls.get(incident_id).toll

    def verified_figures(self, incident_id: int) -> dict[tuple[str, str, str], str]:
        """(metric, source, figure text) → the editor who verified it."""
        return verified_figures(self.tolls.get(incident_id).entries)

    def detach(self, incident_id: int, item_id: int, *, user: str) -> str:
        """"Not this incident": the item and its figures leave the incident, and stay out."""
        with writing(self.db):
            changed = self.db.execute(
                "update matches set status = 'rejected', decided_by = ?, decided_at = ? where incident_id = ?"
                " and item_id = ? and status = 'matched'", [user, utc_now_iso(), incident_id, item_id]).rowcount
            audit(self.db, actor=user, action="not_this_incident", target=f"incident:{incident_id}",
                  detail={"item_id": item_id})
        title = self._item_title(item_id)
        return f"Detached “{title}” from the incident; the toll no longer counts its figures." if changed else \
            f"“{title}” was already detached."

    def judge_claim(self, claim_id: int, *, verdict: str, user: str) -> str:
        """An editor marks a figure verified, or rejects it as wrong (it leaves the toll)."""
        with writing(self.db):
            if verdict == "verified":
                self.db.execute("update claims set verified_by = ?, verified_at = ? where id = ?",
                                [user, utc_now_iso(), claim_id])
            elif verdict == "wrong":
                self.db.execute("update claims set status = 'rejected' where id = ?", [claim_id])
            else:
                raise ValueError(f"unknown verdict {verdict!r}")
            audit(self.db, actor=user, action=f"claim_{verdict}", target=f"claim:{claim_id}")
            row = self.db.execute("select quote from claims where id = ?", [claim_id]).fetchone()
        quote = row[0] if row else "?"
        return (f"Marked verified: “{quote}”" if verdict == "verified"
                else f"Rejected as a wrong figure: “{quote}”; the toll no longer counts it.")

    def incidents_of_claim(self, claim_id: int) -> list[int]:
        """The incidents whose toll a claim counts in."""
        with self.db.lock:
            return [r[0] for r in self.db.execute(
                "select matches.incident_id from claims join matches on matches.item_id = claims.item_id"
                " where claims.id = ? and matches.status = 'matched'", [claim_id])]

    def _item_title(self, item_id: int) -> str:
        with self.db.lock:
            row = self.db.execute("select title from items where id = ?", [item_id]).fetchone()
        return row[0] if row else f"item {item_id}"

    def view(self, view: str, incident_id: int, incident: Incident) -> str:
        """The text of summary, toll, timeline or sources for one incident."""
        ledger = self.tolls.get(incident_id)
        entries, toll = ledger.entries, ledger.toll
        if view == "toll":
            return render.render_toll(incident, toll)
        if view == "timeline":
            return render.render_timeline(incident, toll)
        if view == "sources":
            return render.render_sources(incident, self.source_rows(incident_id, entries))
        stories, outlets = self._coverage(incident_id)
        return render.render_summary(incident, toll, stories=stories, outlets=outlets)

    def _coverage(self, incident_id: int) -> tuple[int, int]:
        """How many stories, from how many outlets, the incident has (counted by SQLite, not in Python)."""
        with self.db.lock:
            return self.db.execute(
                "select count(distinct matches.story_id), count(distinct coalesce(items.outlet, items.feed_id))"
                " from matches join items on items.id = matches.item_id"
                " where matches.incident_id = ? and matches.status = 'matched'", [incident_id]).fetchone()

    def source_rows(self, incident_id: int, entries) -> list[render.SourceRow]:
        """Every matched article, oldest first, with the figures it gave and why it matched."""
        figures = render.figures_by_item(entries)
        with self.db.lock:
            rows = list(self.db.query(
                "select items.id, items.title, items.link, items.published, coalesce(items.outlet, items.feed_id)"
                " as outlet, matches.terms, matches.story_id from matches join items on items.id = matches.item_id"
                " where matches.incident_id = ? and matches.status = 'matched' order by items.published, items.id",
                [incident_id]))
        outlets_by_story: dict[int, list[str]] = {}
        for row in rows:
            outlets_by_story.setdefault(row["story_id"], []).append(row["outlet"])
        return [render.SourceRow(
            outlet=row["outlet"],
            published=from_iso(row["published"]),
            title=row["title"], link=row["link"], figures=figures.get(row["id"], ()),
            outlets=tuple(o for o in dict.fromkeys(outlets_by_story[row["story_id"]]) if o != row["outlet"]),
            terms=tuple(json.loads(row["terms"] or "[]")),
        ) for row in rows]

    def track(self, args: str, *, user: str | None, today: date) -> Reply:
        """Start tracking, then look back through stored items so the toll is right from the first answer."""
        incident = parse_track_args(args, today=today, taken=taken_slugs(self.db), created_by=user)
        if not (incident.keywords or incident.aliases or incident.places or incident.actors):
            raise CommandError("Give at least one keyword, e.g. `keywords: bamako, JNIM`, so items can be matched.")
        incident_id = insert_incident(self.db, incident)
        self.processor.refresh()
        outcome = self.look_back(incident_id, incident)
        return Reply(f"Now tracking {incident.name} ({incident.slug}) since {incident.since}"
                     f"{' in ' + incident.channel if incident.channel else ''}. "
                     f"{outcome.matches} stored item(s) matched.", incident=incident.slug)

    def look_back(self, incident_id: int, incident: Incident) -> ProcessOutcome:
        """Attach items already stored: full-text search for the incident's terms within its window."""
        query = Matcher([incident]).fts_query(incident.slug)
        outcome = ProcessOutcome()
        if not query:
            return outcome
        window = [incident.since.isoformat()]
        until = ""
        if incident.until:
            until = " and items.published < ?"
            window.append(date.fromordinal(incident.until.toordinal() + 1).isoformat())
        with self.db.lock:
            ids = [r[0] for r in self.db.execute(
                "select items.id from items where items.id in (select rowid from items_fts where items_fts match ?)"
                f" and items.published >= ?{until} and items.processed_at is not null order by items.id",
                [query, *window])]
        for item_id in ids:
            self.processor.process_item(item_id, outcome=outcome, only={incident_id}, backfill=True)
        return outcome
