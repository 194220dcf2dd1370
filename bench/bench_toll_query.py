"""Latency of `/incident <name> toll` (and summary, timeline, sources) on a big generated database.

Run: .venv/bin/python bench/bench_toll_query.py [--items 1000000] [--incidents 200] [--claims 100000]
     [--queries 500] [--warmup 50] [--skew 0.7] [--seed 20240917] [--out bench/out] [--fresh] [--no-fts]
     [--views toll,summary,timeline,sources] [--gc-freeze] [--json]

Issue 4's target: with 1,000,000 items, 200 incidents and 100,000 claims, `/incident <name> toll`
answers in under 20 ms at the 99th percentile.

The database is made through `db.open_database` (so it has exactly the migrated schema) and kept
under --out, keyed by every parameter that shapes it, so a second run reuses it. It holds:
- ~50 feeds (outlets) and N items with short titles and summaries, published 2023-2025; every item is
  processed; background items are one story each, with a few syndicated copies;
- incidents named after real towns, each with a window; the claim budget is spread over incidents with
  a Zipf-like skew (--skew; 0 = even), so a few incidents are big, as on a real desk;
- per incident, stories published over its first days, a third of them syndicated (2-5 outlets, same
  figures, same story id); figures from every source class (official, security sources, medical,
  UN/NGO, witnesses, leaked documents, the armed group's claim, unattributed, named victims) with
  realistic qualifiers that rise over time; a share of articles revised (their older claims
  `superseded`), a few claims `rejected` by an editor (a wild figure that must never show), a few
  matches `rejected`, and matched articles without any figure;
- the last story of each incident is the official final figure, which the bench checks in every reply.
Not generated: item_revisions rows, story_bands, outbox, polls (nothing the toll reads).

The items_fts triggers are dropped while items are bulk-inserted (one transaction, executemany) and
restored exactly as they were; the index is then rebuilt with the FTS5 'rebuild' command. (--no-fts
skips the rebuild: the toll does not read items_fts, only the file is smaller. Such a database is
keyed apart.)

Timing: one Desk(db) (as the Slack app keeps it; its construction, which builds the matcher, is timed
apart), then `desk.ask("/incident <slug> <view>")` for --queries random incidents per view, after
--warmup untimed queries. Every reply is checked against the generator's expectations outside the timer.
Every loop is bounded by its parameters.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.incidents.commands import slugify  # noqa: E402
from db import open_database  # noqa: E402

GEN_VERSION = 1  # bump when the generator changes, so old databases are not reused
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "out"
VIEWS = ("toll", "summary", "timeline", "sources")
TARGET_P99_MS = 20.0

OUTLETS = (
    "Reuters", "AFP", "Associated Press", "BBC News", "Al Jazeera", "France 24", "RFI", "Le Monde", "DW",
    "The Guardian", "The New York Times", "Washington Post", "CNN", "Sky News", "Euronews", "Le Figaro",
    "Jeune Afrique", "Studio Tamani", "Mali Web", "Sahel Intelligence", "Premium Times", "Punch",
    "Vanguard", "Daily Trust", "The East African", "Nation Africa", "Garowe Online", "Radio Okapi",
    "Actualite.cd", "Sudan Tribune", "Radio Dabanga", "Dawn", "The Express Tribune", "TOLOnews",
    "Kyiv Independent", "Ukrainska Pravda", "Times of Israel", "Haaretz", "Middle East Eye", "Anadolu",
    "Xinhua", "NHK World", "The Hindu", "Hindustan Times", "Bangkok Post", "Rappler", "Channel News Asia",
    "ABC News", "Der Spiegel", "El País",
)
TOWNS = (
    "Bamako", "Kati", "Mopti", "Gao", "Timbuktu", "Ségou", "Ménaka", "Kidal", "Ouagadougou", "Djibo",
    "Kaya", "Dori", "Fada N'Gourma", "Niamey", "Tillabéri", "Diffa", "Maiduguri", "Zamfara", "Kaduna",
    "Jos", "Mogadishu", "Kismayo", "Baidoa", "Beledweyne", "Goma", "Beni", "Bunia", "Butembo", "Khartoum",
    "El Fasher", "Nyala", "Geneina", "Kharkiv", "Odesa", "Zaporizhzhia", "Dnipro", "Sumy", "Kherson",
    "Gaza City", "Rafah", "Khan Younis", "Jenin", "Kabul", "Kunduz", "Jalalabad", "Peshawar", "Quetta",
    "Bannu", "Lakki Marwat", "Mosul", "Kirkuk", "Deir ez-Zor", "Idlib", "Aleppo", "Sanaa", "Marib",
    "Aden", "Cabo Delgado", "Palma", "Pemba", "Lamu", "Garissa", "Bangui", "Manipur", "Imphal", "Tessalit",
)
EVENTS = ("attack", "bombing", "ambush", "massacre", "shelling", "airstrike", "school attack", "market bombing",
          "convoy ambush", "mosque attack", "camp attack", "drone strike", "raid", "hostage taking")
TOPICS = ("election", "budget", "fuel prices", "trade talks", "floods", "drought", "football", "health",
          "education", "currency", "mining", "rail line", "harvest", "court ruling", "strike", "inflation")
VERBS = ("says", "warns", "announces", "rejects", "backs", "plans", "delays", "launches", "debates", "reviews")
ACTORS = ("JNIM", "Islamic State Sahel", "ISWAP", "Boko Haram", "al-Shabab", "M23", "ADF", "RSF",
          "TTP", "gunmen", "armed men", "militants")
BACKGROUND_SUMMARY = (
    "Officials in {town} {verb} plans on {topic} after a week of talks with regional partners.",
    "The government {verb} a new approach to {topic}, a spokesman said on {day}.",
    "Residents of {town} say {topic} remains the main concern ahead of next month's vote.",
    "Analysts expect {topic} to dominate the agenda when ministers meet in {town} on {day}.",
)
MATCHED_TITLES = (
    "{town} {event}: {n} killed", "Death toll rises after {town} {event}", "{event_cap} in {town}: what we know",
    "{actor} claims {town} {event}", "{town}: survivors describe {event}", "Mourning in {town} after deadly {event}",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EPOCH = datetime(2023, 1, 1, tzinfo=timezone.utc)
SPAN_SECONDS = 3 * 365 * 86400
ISO = "%Y-%m-%dT%H:%M:%SZ"

SOURCE_TEXT = {
    "official": "the health ministry said", "security_sources": "security sources said",
    "medical": "hospital staff said", "un_ngo": "the UN humanitarian office said", "witnesses": "witnesses said",
    "leaked_documents": "according to documents seen by the newspaper",
    "perpetrator_claim": "the group said in a statement", "unattributed": None,
}


@dataclass
class ExpectedIncident:
    """What the replies for one incident must show, from the generator's own figures."""

    slug: str
    name: str
    claims: int = 0  # ledger rows (every status) of its matched items
    final_killed: int = 0  # the official figure of its last story
    final_injured: int = 0
    bogus: list[int] = field(default_factory=list)  # rejected figures: must never show
    matched_items: int = 0  # items with status 'matched' (the sources count)
    apart: bool = False  # has a perpetrator claim


# --- generation ---------------------------------------------------------------------------------------

def db_path(args) -> Path:
    fts = "nofts" if args.no_fts else "fts"
    name = (f"toll_v{GEN_VERSION}_i{args.items}_n{args.incidents}_c{args.claims}_k{args.skew:g}_s{args.seed}"
            f"_{fts}.db")
    return Path(args.out) / name


def iso(seconds: float) -> str:
    return time.strftime(ISO, time.gmtime(EPOCH.timestamp() + seconds))


def claim_budget(total: int, incidents: int, skew: float, rng: random.Random) -> list[int]:
    """Claims per incident: Zipf-like weights over a random order, summing to `total`."""
    weights = [1.0 / (rank ** skew) for rank in range(1, incidents + 1)]
    rng.shuffle(weights)
    scale = total / sum(weights)
    budget = [max(1, int(w * scale)) for w in weights]
    budget[budget.index(max(budget))] += total - sum(budget)  # exact total; never negative at these sizes
    return budget


def _story_claims(rng: random.Random, truth_k: int, truth_i: int, f: float, *, final: bool) -> list[tuple]:
    """Figures one article gives at fraction f of the incident's reporting window (0 first, 1 last).

    Tuples: (metric, value, low, high, qualifier, vague, who, source, quote)."""
    out: list[tuple] = []

    def add(metric, value, qualifier, source, vague=None, low=None, high=None, who=None):
        if qualifier in ("more_than", "at_least"):
            low, high = low if low is not None else value, high
        elif qualifier == "up_to":
            low, high = low, value
        elif qualifier in ("exact", "about"):
            low = value if low is None else low
            high = value if high is None else high
        phrase = vague if vague else f"{qualifier.replace('_', ' ')} {value}".replace("exact ", "")
        quote = f"{phrase} people were {metric.replace('_', ' ')}"
        if SOURCE_TEXT[source]:
            quote += f", {SOURCE_TEXT[source]}"
        out.append((metric, value, low, high, qualifier, vague, who, source, quote))

    official_k = max(1, round(truth_k * (0.4 + 0.6 * f)))
    official_i = max(1, round(truth_i * (0.3 + 0.7 * f)))
    if final:
        add("killed", truth_k, "exact", "official")
        add("injured", truth_i, "exact", "official")
        return out
    if rng.random() < 0.35:
        add("killed", official_k, "exact", "official", who=rng.choice((None, "civilians", "soldiers")))
        if rng.random() < 0.7:
            add("injured", official_i, "exact", "official")
    if rng.random() < 0.3:
        add("killed", max(1, 5 * round(official_k * 1.05 / 5)), "more_than", "security_sources")
        if rng.random() < 0.6:
            add("injured", max(1, 10 * round(official_i * 0.9 / 10)), rng.choice(("about", "more_than")),
                "security_sources")
    if rng.random() < 0.1:
        add("killed", official_k, "at_least", "medical")
        add("injured", max(1, official_i - rng.randrange(0, 5)), "at_least", "medical")
    if rng.random() < 0.06:
        add("killed", official_k, "at_least", "un_ngo")
    if rng.random() < 0.1:
        add("killed", max(1, 10 * round(official_k / 10)), "about", "witnesses")
    if rng.random() < 0.03:
        add("killed", round(truth_k * 1.3), "up_to", "leaked_documents")
    if rng.random() < 0.06:
        if rng.random() < 0.5:
            add("killed_or_injured", None, "vague", "perpetrator_claim", vague="hundreds")
        else:
            add("killed", truth_k * 3, "exact", "perpetrator_claim")
    if rng.random() < 0.3:
        add("killed", max(1, official_k - rng.randrange(0, 4)), "at_least", "unattributed")
    if rng.random() < 0.03:
        add("named_victims", max(1, round(truth_k * rng.uniform(0.5, 1.0))), "exact", "witnesses")
    if rng.random() < 0.03:
        add(rng.choice(("missing", "kidnapped")), rng.randrange(2, 60), rng.choice(("exact", "about")), "official")
    return out


def _incident_plan(rng: random.Random, budget: int, exp: ExpectedIncident) -> list[dict]:
    """The matched stories of one incident: each with copies (items), claims per copy, revision, statuses.

    Stories are drawn until their ledger rows (copies x figures, superseded and rejected included) reach
    the incident's budget; the last one is the official final figure."""
    truth_k = max(3, int(rng.lognormvariate(3.2, 1.0)))
    truth_i = truth_k * rng.randrange(2, 4)
    exp.final_killed, exp.final_injured = truth_k, truth_i
    window = rng.randrange(3, 30) * 86400
    final = {"offset": window + 3600, "copies": rng.randrange(1, 4), "revised": False, "earlier": [],
             "rejected_claim": None, "figures": _story_claims(rng, truth_k, truth_i, 1.0, final=True)}
    stories: list[dict] = []
    used = final["copies"] * len(final["figures"])
    while used < budget and len(stories) < 100_000:  # bounded
        offset = min(window, int(rng.expovariate(4.0 / window)))
        story = {"offset": offset, "copies": rng.randrange(2, 6) if rng.random() < 0.33 else 1}
        figures = [] if rng.random() < 0.2 else _story_claims(rng, truth_k, truth_i, offset / window, final=False)
        story["figures"] = figures
        # A revised article: its first revision gave lower figures, kept as superseded history.
        story["revised"] = bool(figures) and rng.random() < 0.15
        story["earlier"] = [(m, max(1, v - max(1, v // 10)) if v else v, *rest)
                            for (m, v, *rest) in figures] if story["revised"] else []
        story["rejected_claim"] = None
        if figures and rng.random() < 0.01:
            bogus = 90_000 + rng.randrange(0, 9_999)
            exp.bogus.append(bogus)
            story["rejected_claim"] = ("killed", bogus, bogus, bogus, "exact", None, None, "official",
                                       f"{bogus} people were killed, the health ministry said")
        exp.apart = exp.apart or any(fig[7] == "perpetrator_claim" for fig in figures)
        used += story["copies"] * (len(figures) + len(story["earlier"]) + (story["rejected_claim"] is not None))
        stories.append(story)
    stories.sort(key=lambda s: s["offset"])
    stories.append(final)
    return stories


def generate(path: Path, args, rng: random.Random) -> dict[str, ExpectedIncident]:
    """Write the whole database to `path` (a temporary name: the caller renames it when done)."""
    t0 = time.perf_counter()
    db = open_database(path)
    conn = db.conn
    conn.execute("PRAGMA cache_size = -1000000")  # this connection only: the index B-trees stay in memory
    feeds = [(f"feed-{n:02d}", OUTLETS[n % len(OUTLETS)] + (f" {n // len(OUTLETS) + 1}" if n >= len(OUTLETS) else ""))
             for n in range(max(1, args.feeds))]
    now = "2026-01-01T00:00:00Z"

    # Incidents: real town + event kind, a start date, slugs as `/incident track` makes them.
    taken: set[str] = set()
    expected: dict[str, ExpectedIncident] = {}
    incident_rows = []
    since_seconds = []
    places: list[tuple[str, str]] = []
    all_pairs = [(t, e) for t in TOWNS for e in EVENTS]
    pairs = rng.sample(all_pairs, min(args.incidents, len(all_pairs)))  # distinct names
    for n in range(args.incidents):
        town, event = pairs[n % len(pairs)]
        if n >= len(pairs):
            event = f"{event} {n // len(pairs) + 1}"
        places.append((town, event))
        since_s = rng.randrange(0, SPAN_SECONDS - 40 * 86400)
        since = (EPOCH + timedelta(seconds=since_s)).date()
        name = f"{town} {event}"
        slug = slugify(name, since=since, taken=taken)
        taken.add(slug)
        actor = ACTORS[rng.randrange(len(ACTORS))]
        incident_rows.append((n + 1, slug, name, json.dumps([f"{town} {since.year}"]),
                              json.dumps([town.lower(), event]), json.dumps([town]), json.dumps([actor]),
                              since.isoformat(), None, "#desk", "bench", now, None))
        since_seconds.append(int((datetime(since.year, since.month, since.day, tzinfo=timezone.utc) - EPOCH)
                                 .total_seconds()))
        expected[slug] = ExpectedIncident(slug=slug, name=name)

    budgets = claim_budget(args.claims, args.incidents, args.skew, rng) if args.incidents else []
    plans = []
    matched_items = 0
    for n, slug in enumerate(expected):
        plan = _incident_plan(rng, budgets[n] if budgets else 0, expected[slug])
        plans.append(plan)
        matched_items += sum(s["copies"] for s in plan)
    if matched_items > args.items // 2:
        raise SystemExit(f"{matched_items} matched items for {args.items} items: give more --items or fewer --claims")

    # Place matched items at random ids among all items.
    slots = sorted(rng.sample(range(1, args.items + 1), matched_items))
    matched_at_id: dict[int, tuple] = {}
    story_rows: list[tuple] = []
    match_rows: list[tuple] = []
    claim_rows: list[tuple] = []
    story_id = 0
    k = 0
    for n, (slug, plan) in enumerate(zip(expected, plans)):
        exp = expected[slug]
        incident = incident_rows[n]
        town, event = places[n]
        for s_index, story in enumerate(plan):
            story_id += 1
            published_s = since_seconds[n] + 6 * 3600 + story["offset"]
            killed = next((fig[1] for fig in story["figures"] if fig[0] == "killed" and fig[1]), None)
            title = rng.choice(MATCHED_TITLES).format(
                town=town, event=event, event_cap=event.capitalize(),
                n=killed or "several", actor=json.loads(incident[6])[0])
            story_rows.append((story_id, f"https://news.example/{slug}/{s_index}", f"{story_id:016x}", title,
                               iso(published_s)))
            outlets = rng.sample(range(len(feeds)), min(story["copies"], len(feeds)))
            final = s_index == len(plan) - 1
            for copy, feed in enumerate(outlets):
                item_id = slots[k]
                k += 1
                item_published = published_s + copy * rng.randrange(600, 6 * 3600)
                summary = "; ".join(fig[8] for fig in story["figures"])[:400] or f"Details emerge on the {town} attack."
                revision = 2 if story["revised"] else 1
                matched_at_id[item_id] = (feeds[feed], story_id, title, summary, item_published, revision,
                                          f"https://news.example/{slug}/{s_index}" + (f"?copy={copy}" if copy else ""))
                status = "rejected" if (not final and rng.random() < 0.02) else "matched"
                if status == "matched":
                    exp.matched_items += 1
                match_rows.append((n + 1, item_id, story_id, round(rng.uniform(2.5, 9.0), 1),
                                   json.dumps([town, event]), iso(item_published + 120),
                                   status, "editor" if status == "rejected" else None))
                rows = [(r, fig, "superseded") for r, fig in ((1, f) for f in story["earlier"])]
                rows += [(revision, fig, "current") for fig in story["figures"]]
                if story["rejected_claim"] is not None:
                    rows.append((revision, story["rejected_claim"], "rejected"))
                start = 0
                for rev, (metric, value, low, high, qualifier, vague, who, source, quote), cstatus in rows:
                    claim_rows.append((item_id, rev, metric, value, low, high, qualifier, vague, who, source,
                                       SOURCE_TEXT[source], quote, start, start + len(quote), cstatus,
                                       "editor" if cstatus == "rejected" else None, iso(item_published + 60)))
                    start += len(quote) + 2
                if status == "matched":
                    exp.claims += len(rows)
    matched_story_count = story_id

    with db.lock, conn:  # one transaction
        triggers = [(name, sql) for name, sql in conn.execute(
            "select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'items'")]
        for name, _ in triggers:
            conn.execute(f"drop trigger [{name}]")
        conn.executemany("insert into feeds (id, url, interval_seconds, channel, lang, enabled, origin, title,"
                         " created_at) values (?,?,?,?,?,?,?,?,?)",
                         [(fid, f"https://news.example/{fid}/rss", 600, "#desk", "en", 1, "file", title, now)
                          for fid, title in feeds])
        conn.executemany("insert into incidents (id, slug, name, aliases, keywords, places, actors, since, until,"
                         " channel, created_by, created_at, removed_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         incident_rows)
        conn.executemany("insert into stories (id, canonical_link, fingerprint, title, first_seen_at)"
                         " values (?,?,?,?,?)", story_rows)

        # Background items, streamed: one story each, about 8% syndicated copies of the previous one.
        choice, rand, randrange = rng.choice, rng.random, rng.randrange
        background_stories: list[tuple] = []

        def items():
            sid = matched_story_count
            last = None
            for item_id in range(1, args.items + 1):
                hit = matched_at_id.get(item_id)
                if hit is not None:
                    (fid, outlet), s_id, title, summary, published_s, revision, link = hit
                    published = iso(published_s)
                    yield (item_id, fid, f"{fid}:{item_id}", s_id, link, title, summary, "", None, published, 0,
                           "en", outlet, f"{item_id:016x}", published, revision, int(revision > 1),
                           published if revision > 1 else None, published)
                    continue
                fid, outlet = feeds[randrange(len(feeds))]
                if last is not None and rand() < 0.08:
                    s_id, title, summary, published_s = last
                    published_s += randrange(600, 7200)
                else:
                    town = choice(TOWNS)
                    topic = choice(TOPICS)
                    title = f"{town}: {topic} {choice(VERBS)} {choice(('debate', 'talks', 'plan', 'row', 'hopes'))}"
                    summary = choice(BACKGROUND_SUMMARY).format(town=town, verb=choice(VERBS), topic=topic,
                                                                day=choice(DAYS))
                    published_s = randrange(0, SPAN_SECONDS)
                    sid += 1
                    s_id = sid
                    background_stories.append((sid, f"https://news.example/s/{sid}", f"{sid:016x}", title,
                                               iso(published_s)))
                last = (s_id, title, summary, published_s)
                published = iso(published_s)
                yield (item_id, fid, f"{fid}:{item_id}", s_id, f"https://news.example/{fid}/{item_id}", title,
                       summary, "", None, published, 0, "en", outlet, f"{item_id:016x}", published, 1, 0, None,
                       published)

        # Stories must exist before the items that point to them (foreign keys are on): generate items
        # in chunks, insert each chunk's new stories, then the chunk's items.
        stream = items()
        item_sql = ("insert into items (id, feed_id, guid, story_id, link, title, summary, content, author,"
                    " published, published_is_first_seen, lang, outlet, fingerprint, first_seen_at, revision,"
                    " updated, updated_at, processed_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        for _ in range(args.items // 50_000 + 2):  # bounded: each pass takes up to 50,000 items
            chunk = [row for _, row in zip(range(50_000), stream)]
            if not chunk:
                break
            conn.executemany("insert into stories (id, canonical_link, fingerprint, title, first_seen_at)"
                             " values (?,?,?,?,?)", background_stories)
            background_stories.clear()
            conn.executemany(item_sql, chunk)
        conn.executemany("insert into matches (incident_id, item_id, story_id, score, terms, matched_at, status,"
                         " decided_by) values (?,?,?,?,?,?,?,?)", match_rows)
        conn.executemany("insert into claims (item_id, revision, metric, value, low, high, qualifier, vague, who,"
                         " source, source_text, quote, start, [end], status, verified_by, extracted_at)"
                         " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", claim_rows)
        for _, sql in triggers:
            conn.execute(sql)
    t_rows = time.perf_counter() - t0
    if not args.no_fts:
        with db.lock, conn:
            conn.execute("insert into items_fts(items_fts) values('rebuild')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(f"generated {args.items} items ({matched_items} matched, {len(match_rows)} matches), "
          f"{args.incidents} incidents, {len(claim_rows)} claims in {time.perf_counter() - t0:.1f}s "
          f"(rows {t_rows:.1f}s, fts {'skipped' if args.no_fts else f'{time.perf_counter() - t0 - t_rows:.1f}s'})",
          flush=True)
    return expected


def prepare(args) -> tuple[Path, dict[str, ExpectedIncident]]:
    """The database for these parameters, generated unless a complete one is already there."""
    path = db_path(args)
    meta = path.with_suffix(".json")
    if not args.fresh and path.exists() and meta.exists():
        data = json.loads(meta.read_text())
        print(f"reusing {path}", flush=True)
        return path, {slug: ExpectedIncident(**e) for slug, e in data.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), path, Path(f"{path}-wal"), Path(f"{path}-shm"),
                     meta):
        leftover.unlink(missing_ok=True)
    expected = generate(tmp, args, random.Random(args.seed))
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)  # checkpointed and closed: nothing left in them
    os.replace(tmp, path)
    meta.write_text(json.dumps({slug: e.__dict__ for slug, e in expected.items()}))
    return path, expected


# --- measuring ----------------------------------------------------------------------------------------

def check(view: str, text: str, exp: ExpectedIncident) -> str | None:
    """Why a reply is wrong, or None when it shows what the generator put in."""
    title = f"{exp.name} ({exp.slug})"
    if not text.startswith(title):
        return f"reply does not start with {title!r}"
    for bogus in exp.bogus:
        if str(bogus) in text:
            return f"rejected figure {bogus} shown"
    if view == "toll":
        for figure in (exp.final_killed, exp.final_injured):
            needle = f"Official sources: {figure} (latest"
            if needle not in text:
                return f"missing {needle!r}"
        if exp.apart and "Claimed by the armed group, not in the range" not in text:
            return "the armed group's claim is not shown apart"
    elif view == "timeline":
        if f"official sources: {exp.final_killed} killed" not in text:
            return f"timeline lacks official sources: {exp.final_killed} killed"
    elif view == "sources":
        if f"— sources ({exp.matched_items})" not in text:
            return f"sources count is not {exp.matched_items}"
    elif view == "summary":
        if "More: /incident" not in text or "Coverage:" not in text:
            return "summary lacks coverage"
    return None


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, max(0, math.ceil(p / 100 * len(sorted_ms)) - 1))]


def measure(path: Path, expected: dict[str, ExpectedIncident], args) -> dict:
    from bot.incidents.desk import Desk

    db = open_database(path)
    t0 = time.perf_counter()
    if args.cold:
        desk = Desk(db)
    else:  # exactly what the running bot's desk process does at start-up (bot/slack/desk_process.py)
        from bot.slack.desk_process import prepare_desk

        desk = prepare_desk(db)
    construct_ms = (time.perf_counter() - t0) * 1000
    tracked = len(gc.get_objects())  # mostly the matcher's gazetteer and automaton
    if args.gc_freeze:  # what the app would do after start-up: the matcher's objects leave the GC's scans
        gc.collect()
        gc.freeze()
    t0 = time.perf_counter()
    gc.collect()
    full_gc_ms = (time.perf_counter() - t0) * 1000
    rng = random.Random(args.seed + 1)
    slugs = sorted(expected)
    results: dict = {"db": str(path), "db_mb": round(path.stat().st_size / 2 ** 20, 1),
                     "desk_construct_ms": round(construct_ms, 1), "gc_tracked": tracked,
                     "full_gc_ms": round(full_gc_ms, 1), "gc_freeze": args.gc_freeze, "cold": args.cold,
                     "views": {}, "errors": []}
    claims = sorted(e.claims for e in expected.values())
    results["claims_per_incident"] = {"min": claims[0], "median": claims[len(claims) // 2], "max": claims[-1]}
    for view in args.views:
        for _ in range(args.warmup):  # untimed: the page cache and Python's caches warm up
            desk.ask(f"/incident {rng.choice(slugs)} {view}")
        times: list[tuple[float, str]] = []
        for _ in range(args.queries):
            slug = rng.choice(slugs)
            command = f"/incident {slug}" + ("" if view == "summary" else f" {view}")
            t0 = time.perf_counter_ns()
            reply = desk.ask(command)
            elapsed = (time.perf_counter_ns() - t0) / 1e6
            times.append((elapsed, slug))
            problem = None if reply.ok and reply.incident == slug else f"not ok: {reply.text[:120]!r}"
            problem = problem or check(view, reply.text, expected[slug])
            if problem and len(results["errors"]) < 20:
                results["errors"].append(f"{command}: {problem}")
        ms = sorted(t for t, _ in times)
        slowest = sorted(times, reverse=True)[:3]
        results["views"][view] = {
            "n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "max": ms[-1] if ms else float("nan"), "mean": statistics.fmean(ms) if ms else float("nan"),
            "slowest": [(round(t, 2), s, expected[s].claims) for t, s in slowest],
        }
    db.close()
    return results


def report(results: dict) -> None:
    c = results["claims_per_incident"]
    print(f"database {results['db']} ({results['db_mb']} MB); ledger rows per incident: min {c['min']}, "
          f"median {c['median']}, max {c['max']}")
    print(f"{'Desk(db)' if results['cold'] else 'prepare_desk(db): Desk, matcher, every toll, gc.freeze()'} start-up (once per process): {results['desk_construct_ms']:.1f} ms; "
          f"{results['gc_tracked']} objects tracked by the GC, a full collection takes {results['full_gc_ms']:.1f} ms"
          f"{' (gc.freeze() applied)' if results['gc_freeze'] else ''}")
    print(f"{'view':<9} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  slowest (ms, incident, rows)")
    for view, v in results["views"].items():
        slow = ", ".join(f"{t} {s} ({n})" for t, s, n in v["slowest"])
        print(f"{view:<9} {v['n']:>5} {v['p50']:>8.2f} {v['p95']:>8.2f} {v['p99']:>8.2f} {v['max']:>8.2f}  {slow}")
    toll = results["views"].get("toll")
    if toll:
        verdict = "meets" if toll["p99"] < TARGET_P99_MS else "MISSES"
        print(f"toll p99 {toll['p99']:.2f} ms {verdict} the {TARGET_P99_MS:g} ms target")
    if results["errors"]:
        print(f"{len(results['errors'])} wrong replies (first 20):")
        for e in results["errors"]:
            print(f"  {e}")
    else:
        print("every reply checked: correct")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--skew", type=float, default=0.7,
                        help="Zipf exponent of claims per incident (0 = even; 0.7 puts ~7%% in the biggest)")
    parser.add_argument("--queries", type=int, default=500, help="timed queries per view")
    parser.add_argument("--warmup", type=int, default=50, help="untimed queries per view before timing")
    parser.add_argument("--views", default=",".join(VIEWS), help="comma-separated: toll,summary,timeline,sources")
    parser.add_argument("--seed", type=int, default=20240917)
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where databases are kept (git-ignored)")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if a database exists")
    parser.add_argument("--no-fts", action="store_true", help="skip rebuilding items_fts (faster generation)")
    parser.add_argument("--cold", action="store_true",
                        help="a bare Desk(db): no start-up warm-up of the tolls, no gc.freeze()")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after Desk(db) is built (not what the app does today: shows the effect"
                             " of full GC passes over the matcher's objects on the tail)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    return parser


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    args.views = [v for v in args.views.split(",") if v]
    unknown = set(args.views) - set(VIEWS)
    if unknown:
        raise SystemExit(f"unknown views: {', '.join(sorted(unknown))}")
    if args.incidents < 1 or args.items < 1 or args.claims < args.incidents:
        raise SystemExit("need --items >= 1, --incidents >= 1 and --claims >= --incidents")
    path, expected = prepare(args)
    results = measure(path, expected, args)
    report(results)
    if args.json:
        print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
