"""The /incident commands, executed against the database: the same code answers the CLI's `ask` and Slack."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from bot.incidents import render
from bot.incidents.commands import (DEFAULT_LOOK_BACK_DAYS, CommandError, parse_command, parse_track_args,
                                    resolve_incident)
from bot.incidents.gazetteer import fold
from bot.incidents.look_back import (SYNC_LOOK_BACK, LookBacks, look_back, look_back_step,  # noqa: F401
                                     progress_line, settle_since, window_ids)
from bot.models import Incident
from bot.incidents.processing import IncidentProcessor
from bot.incidents.figures import Figure
from bot.incidents.toll_model import Toll
from bot.incidents.toll_cache import TollCache
from bot.incidents.digest_setting import digest_setting
from bot.incidents.suggestion_queue import current_suggestions
from db import from_iso, ledger as ledger_queries
from db.audit import audit
from db.connection import writing
from db.incidents import (active_incidents, all_incidents, incidents_version, insert_incident, taken_slugs,
                          untrack_incident, untracked_slugs)
from db.items import item_title


@dataclass
class Reply:
    """What the bot answers: plain text always; candidates when a name was not clear."""

    text: str
    incident: str | None = None  # slug the reply is about
    candidates: list[str] = field(default_factory=list)  # slugs to offer as "did you mean" buttons
    ok: bool = True
    view: str | None = None  # summary, toll, timeline or sources
    blocks: list = field(default_factory=list)  # Block Kit of the same answer, filled on the Slack side
    subject: Incident | None = None  # the incident a toll answer is about
    toll: Toll | None = None  # the toll itself, so Slack can draw it as a table
    verified: dict = field(default_factory=dict)  # (metric, source, figure text) → who verified it


def verified_figures(entries) -> dict[tuple[str, str, str], str]:
    """(metric, source, figure text) → the editor who verified that figure."""
    return {(e.claim.metric, e.claim.source, Figure.from_claim(e.claim).text): e.verified_by
            for e in entries if e.verified_by and e.status == "current"}


class Desk:
    """Answers /incident commands; owns the processor so tracking and polling share one matcher."""

    def __init__(self, db, *, processor: IncidentProcessor | None = None, admins: frozenset[str] = frozenset(),
                 progress: Callable[[str], None] | None = None, look_backs: LookBacks | None = None):
        self.db, self.admins, self.progress = db, admins, progress  # progress: where long work says how far it got
        self.look_backs = look_backs  # set: a long look-back runs in the background (bot/incidents/look_back.py)
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
                if command.args.strip() == "--all":
                    return Reply(render.render_list(list(all_incidents(self.db).values()),
                                                    untracked=untracked_slugs(self.db)))
                return Reply(render.render_list(list(self.incidents().values())))
            if command.command == "suggest":
                return Reply(self.suggest())
            if command.command == "digest":
                return digest_setting(self.db, command.args, user=user)
            if command.command == "track":
                return self.track(command.args, user=user, today=today or datetime.now(timezone.utc).date())
            found = self._resolve(command.name)
            if isinstance(found, Reply):
                found.view = command.command
                return found
            incident_id, incident = found
            if command.command == "untrack":
                return self.untrack(incident_id, incident, user=user)
            reply = Reply(self.view(command.command, incident_id, incident), incident=incident.slug,
                          view=command.command)
            if command.command == "toll":
                ledger = self.tolls.get(incident_id)
                reply.subject, reply.toll, reply.verified = incident, ledger.toll, verified_figures(ledger.entries)
            return reply
        except CommandError as exc:
            return Reply(str(exc), ok=False)

    def _resolve(self, name: str) -> tuple[int, Incident] | Reply:
        incidents = self.incidents()
        if name.strip().lower() not in {i.slug for i in incidents.values()}:
            # An untracked incident's ledger stays reachable by its exact slug.
            untracked = {i: inc for i, inc in all_incidents(self.db).items() if inc.slug == name.strip().lower()}
            if untracked:
                return next(iter(untracked.items()))
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

    def chart_view(self, name: str) -> tuple[Incident, Toll] | str:
        """The incident and its toll for a chart, or the reply saying which incidents there are."""
        found = self._resolve(name)
        if isinstance(found, Reply):
            return found.text
        incident_id, incident = found
        return incident, self.tolls.get(incident_id).toll

    def parent_view(self, incident_id: int) -> tuple[Incident, Toll, dict] | None:
        """What the incident thread's parent shows: the current toll, the same computation as the answers."""
        incident = self.incidents().get(incident_id)
        if incident is None:
            return None
        ledger = self.tolls.get(incident_id)
        return incident, ledger.toll, verified_figures(ledger.entries)

    def alert_view(self, row: dict) -> tuple[dict, list[dict]]:
        """One outbox row's payload, and the figures it is about (each with its text) for feedback."""
        payload = json.loads(row["payload"] or "{}")
        payload["item_id"] = row.get("item_id")
        claims = ledger_queries.current_claims_of_item(self.db, row.get("item_id"))
        wanted = {(e.get("metric"), e.get("source")) for e in payload.get("events", [])}
        relevant = [c for c in claims if (c["metric"], c["source"]) in wanted] or claims
        for claim in relevant:
            claim["figure"] = Figure(value=claim["value"], qualifier=claim["qualifier"], low=claim["low"],
                                     high=claim["high"], vague=claim["vague"]).text
        return payload, relevant

    def toll(self, incident_id: int):
        """The incident's toll now: the one computation alerts and answers share."""
        return self.tolls.get(incident_id).toll

    def verified_figures(self, incident_id: int) -> dict[tuple[str, str, str], str]:
        """(metric, source, figure text) → the editor who verified it."""
        return verified_figures(self.tolls.get(incident_id).entries)

    def detach(self, incident_id: int, item_id: int, *, user: str) -> str:
        """"Not this incident": the item and its figures leave the incident, and stay out."""
        with writing(self.db):
            changed = ledger_queries.detach_item(self.db, incident_id, item_id, user=user)
            audit(self.db, actor=user, action="not_this_incident", target=f"incident:{incident_id}",
                  detail={"item_id": item_id})
        title = item_title(self.db, item_id) or f"item {item_id}"
        return f"Detached “{title}” from the incident; the toll no longer counts its figures." if changed else \
            f"“{title}” was already detached."

    def judge_claim(self, claim_id: int, *, verdict: str, user: str) -> str:
        """An editor marks a figure verified, or rejects it as wrong (it leaves the toll)."""
        with writing(self.db):
            quote = ledger_queries.judge_claim(self.db, claim_id, verdict=verdict, user=user)
            audit(self.db, actor=user, action=f"claim_{verdict}", target=f"claim:{claim_id}")
        quote = quote or "?"
        return (f"Marked verified: “{quote}”" if verdict == "verified"
                else f"Rejected as a wrong figure: “{quote}”; the toll no longer counts it.")

    def incidents_of_claim(self, claim_id: int) -> list[int]:
        """The incidents whose toll a claim counts in."""
        return ledger_queries.incidents_of_claim(self.db, claim_id)

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
        stories, outlets = ledger_queries.coverage(self.db, incident_id)
        return render.render_summary(incident, toll, stories=stories, outlets=outlets)

    def source_rows(self, incident_id: int, entries) -> list[render.SourceRow]:
        """Every matched article, oldest first, with the figures it gave and why it matched."""
        figures = render.figures_by_item(entries)
        rows = ledger_queries.matched_items(self.db, incident_id)
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
        """Start tracking, then look back through stored items so the toll is right from the first answer;
        with `look_backs`, a look-back of many items runs in the background and the answer comes at once.

        Forgiving: the name counts as a keyword; without since: the incident starts at its earliest
        matching story of the last DEFAULT_LOOK_BACK_DAYS days (and says so); the same track line
        twice answers with the incident already tracked.
        """
        incident = parse_track_args(args, today=today, taken=taken_slugs(self.db), created_by=user)
        given_since = "since:" in args.lower()
        same = self._same_as(incident, given_since=given_since)
        if same is not None:
            return Reply(f"Already tracking {same.name} ({same.slug}) since {same.since}; nothing changed.",
                         incident=same.slug)
        with writing(self.db):
            incident_id = insert_incident(self.db, incident)
            audit(self.db, actor=user or "cli", action="incident_track", target=f"incident:{incident_id}",
                  detail={"slug": incident.slug, "line": args[:500]})
        self.processor.refresh()
        ids, where = window_ids(self.db, incident), f"{' in ' + incident.channel if incident.channel else ''}"
        if self.look_backs is not None and len(ids) > SYNC_LOOK_BACK:
            self.look_backs.submit(incident_id, incident, total=len(ids), settle_on=None if given_since else today)
            start = (f"since {incident.since}" if given_since else
                     f"from its earliest matching story of the last {DEFAULT_LOOK_BACK_DAYS} days (no since: given)")
            return Reply(f"Tracking {incident.name} ({incident.slug}) {start}{where}; looking back through "
                         f"{len(ids):,} stored items, progress in the thread.", incident=incident.slug)
        say = self.progress and (lambda *at: self.progress(progress_line(incident.slug, *at)))
        outcome = look_back(self.processor, incident_id, incident, ids=ids, progress=say or None)
        note = ""
        if not given_since:
            earliest = settle_since(self.db, incident_id, today=today)
            self.processor.refresh()
            incident = self.incidents()[incident_id]
            note = (f" (no since: given, so from its earliest matching story of the last {DEFAULT_LOOK_BACK_DAYS} days)"
                    if earliest else " (no since: given and no matching story in the last "
                                     f"{DEFAULT_LOOK_BACK_DAYS} days, so from today)")
        return Reply(f"Now tracking {incident.name} ({incident.slug}) since {incident.since}{note}{where}. "
                     f"{outcome.matches} stored item(s) matched.", incident=incident.slug)

    def untrack(self, incident_id: int, incident: Incident, *, user: str | None) -> Reply:
        """For the editor who tracked it or an admin (the command line is the operator's own)."""
        if user is not None and user != incident.created_by and user not in self.admins:
            return Reply(f"Only the editor who tracked {incident.name} or an admin can untrack it.", ok=False,
                         incident=incident.slug)
        with writing(self.db):
            untrack_incident(self.db, incident_id)
            audit(self.db, actor=user or "cli", action="incident_untrack", target=f"incident:{incident_id}",
                  detail={"slug": incident.slug})
        self.processor.refresh()
        return Reply(f"Stopped tracking {incident.name} ({incident.slug}). Its ledger is kept: "
                     f"/incident {incident.slug} toll still answers.", incident=incident.slug)

    def _same_as(self, new: Incident, *, given_since: bool) -> Incident | None:
        """A tracked incident with the same name and terms (and the same start, when one was given)."""
        def terms(i: Incident) -> tuple:
            return (fold(i.name), *(frozenset(fold(t) for t in ts) for ts in (i.keywords, i.aliases, i.places,
                                                                              i.actors)))
        for existing in self.incidents().values():
            if terms(existing) == terms(new) and (not given_since or existing.since == new.since):
                return existing
        return None

    def chart_post(self, name: str) -> dict:
        """The chart for Slack, drawn here (CPU work, in the desk's own process when it has one):
        {"png", "title", "filename", "slug", "name", "incident_id", "channel", "thread_ts"} where the
        channel and thread are the incident's thread (else its channel, thread_ts None; channel None when
        it has neither), or {"error": the reply naming the candidates}."""
        from bot.incidents.chart import toll_png
        from db.slack_threads import incident_thread

        found = self._resolve(name)
        if isinstance(found, Reply):
            return {"error": found.text, "candidates": found.candidates}
        incident_id, incident = found
        title = f"{incident.name} — reported toll"
        png = toll_png(self.tolls.get(incident_id).toll, title=title)
        thread = incident_thread(self.db, incident_id)
        channel, thread_ts = thread if thread else (incident.channel, None)
        return {"png": png, "title": title, "filename": f"{incident.slug}-toll.png", "slug": incident.slug,
                "name": incident.name, "incident_id": incident_id, "channel": channel, "thread_ts": thread_ts}

    def home_data(self, *, feeds: bool = False) -> dict:
        """What the App Home shows, as plain data: each tracked incident with its leading killed figure and its
        last change, newest change first; the suggestions; with feeds=True (admins), every feed's health."""
        from dataclasses import asdict

        from bot.incidents.figures import source_words
        from db.feeds import feed_health

        rows = []
        for incident_id, incident in self.incidents().items():
            toll = self.tolls.get(incident_id).toll
            killed = toll.get("killed")
            leading = killed.leading if killed is not None else None
            rows.append({"slug": incident.slug, "name": incident.name, "channel": incident.channel,
                         "since": incident.since.isoformat() if incident.since else None,
                         "killed": leading.figure.text if leading is not None else None,
                         "killed_source": source_words(leading.source) if leading is not None else None,
                         "updated": toll.updated})
        rows.sort(key=lambda r: (r["updated"] is None, -(r["updated"].timestamp() if r["updated"] else 0),
                                 r["slug"]))
        health = None
        if feeds:
            health = [asdict(h) for h in feed_health(self.db)]
            health.sort(key=lambda h: (not h["consecutive_failures"], not h["stale"], not h["enabled"], h["id"]))
        suggestions = [{"name": s.name, "place": s.place, "first_seen": s.first_seen, "outlets": len(s.outlets),
                        "figures": s.figures[:3], "track_line": s.track_line, "keywords": s.keywords,
                        "since": s.first_seen.date().isoformat()} for s in current_suggestions(self.db)]
        return {"incidents": rows, "feeds": health, "suggestions": suggestions}

    def digest(self, channel: str, *, at: datetime, hours: int = 24, feeds: bool = False) -> dict:
        """One channel's digest as plain data: each of its incidents with changes in the `hours` before
        `at` (the toll then and now, the source classes first heard from, new stories), and with
        feeds=True (the admins' channel) the feeds that failed in that window.

        The toll "then" is the same computation over the entries the desk could read by then (their
        reading time); an editor's later rejection of a figure counts in both."""
        from datetime import timedelta

        from bot.incidents.figures import source_words
        from bot.incidents.toll import compute_toll
        from db.feeds import feed_health

        def bare(ref: str | None) -> str:
            ref = (ref or "").strip()
            if ref.startswith("<#") and ref.endswith(">"):
                ref = ref[2:-1].split("|", 1)[0]
            return ref.lstrip("#").lower()

        start = at - timedelta(hours=hours)
        wanted = bare(channel)
        rows = []
        for incident_id, incident in sorted(self.incidents().items()):
            if bare(incident.channel) != wanted:
                continue
            ledger = self.tolls.get(incident_id)
            seen = [e for e in ledger.entries if e.published <= at]
            then, now = compute_toll([e for e in seen if e.published <= start]), compute_toll(seen)
            stories = {r["story_id"] for r in ledger_queries.matched_items(self.db, incident_id)
                       if r["published"] and start < from_iso(r["published"]) <= at}
            metrics = []
            for metric, mt in now.metrics.items():
                before = then.get(metric)
                lead_now = mt.leading.figure.text if mt.leading else None
                lead_then = before.leading.figure.text if before is not None and before.leading else None
                fresh = [source_words(s.source) for s in mt.standings if start < s.first_reported <= at]
                if lead_now != lead_then or fresh:
                    metrics.append({"metric": metric, "then": lead_then, "now": lead_now,
                                    "source": source_words(mt.leading.source) if mt.leading else None,
                                    "new_sources": fresh})
            if metrics or stories:
                rows.append({"slug": incident.slug, "name": incident.name, "metrics": metrics,
                             "new_stories": len(stories)})
        failed = None
        if feeds:
            failed = [{"id": h.id, "url": h.url, "error": h.last_error, "at": h.last_error_at,
                       "failures": h.consecutive_failures, "stale": h.stale}
                      for h in feed_health(self.db, now=at)
                      if (h.last_error_at and start < from_iso(h.last_error_at) <= at) or h.stale]
        return {"channel": channel, "from": start, "to": at, "incidents": rows, "feeds": failed}

    def suggest(self, at: datetime | str | None = None) -> str:
        """Emerging incidents at `at` (default now): untracked events that burst (bot/incidents/suggestions.py)."""
        from bot.incidents import suggestions as sg

        at = sg.parse_at(at)
        return sg.render_suggestions(current_suggestions(self.db, at), at)
