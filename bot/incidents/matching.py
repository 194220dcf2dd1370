"""Item -> tracked incidents: one Aho-Corasick automaton over every incident's expanded terms; pure.

How an item is scored against an incident (the numbers are the weights):
- place: the incident's own place named 3 (+0.5 in the title); its region 2; "capital" next to its
  country 2 or next to a macro-region that holds it ("a West African state") 1.5; the country alone 1,
  or 0 when the text names another town of that country instead (a different attack in Mopti);
- actor: one of the incident's actors under any alias 2 (+0.5 in the title); only its parent
  ("an al-Qaeda-linked group") 1;
- editor's keywords, name and aliases that are neither place nor actor: 2 for the first, 1 for each
  further one (at most 2 more), +0.5 in the title;
- a violent-event word 1 (+0.5 in the title).
An item matches when its score reaches MATCH_THRESHOLD and all gates pass: published inside
[since, until]; some place (or keyword) evidence; some topic evidence beyond the place (event, actor or
keyword: a Mali story about passports has none); no other country dominates the text (a neighbour's
attack); and evidence weaker than the place's own name (capital, country) counts only in the first
WEAK_DAYS days, because "an attack in Mali" a month later is probably another attack.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import ahocorasick

from bot.incidents.gazetteer import Gazetteer, Place, fold, load_gazetteer, term_key
from bot.models import Incident, Item

logger = logging.getLogger(__name__)

MATCH_THRESHOLD = 2.5
WEAK_DAYS = 7
CAPITAL_WINDOW = 60  # characters between "capital" and the country or region it belongs to
TITLE_WEIGHT = 3  # a country in the title counts like three in the body, when deciding which country dominates


@dataclass(frozen=True)
class Match:
    """One item matched to one incident, with the terms that made it match (shown to editors)."""

    incident: str  # slug
    score: float
    terms: tuple[str, ...]  # "place:Bamako", "actor:JNIM (Group to Support Islam and Muslims)", ...
    weak: bool = False  # matched on country/capital/region evidence only, not the editor's own words


@dataclass(frozen=True)
class _Concept:
    kind: str  # event | capital | country | macro | region | town | actor | keyword
    id: str
    surface: str  # the name as written in the vocabulary, for the editor's "why"
    country: str | None = None


@dataclass
class _Profile:
    """An incident expanded into what the automaton can find."""

    incident: Incident
    towns: set[str] = field(default_factory=set)  # place ids named by the editor (exact evidence)
    exact_countries: set[str] = field(default_factory=set)  # the editor named a whole country
    regions: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    capital_countries: set[str] = field(default_factory=set)
    capital_macros: set[str] = field(default_factory=set)
    actors: set[str] = field(default_factory=set)
    parent_actors: set[str] = field(default_factory=set)
    keywords: set[str] = field(default_factory=set)  # folded
    search_terms: list[str] = field(default_factory=list)


@dataclass
class _Hits:
    """What one scan of one item found, grouped by kind."""

    title: dict[tuple[str, str], bool] = field(default_factory=dict)  # (kind, id) -> seen in title
    surface: dict[tuple[str, str], str] = field(default_factory=dict)
    country_weight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    places_by_country: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    capital_countries: set[str] = field(default_factory=set)
    capital_macros: set[str] = field(default_factory=set)
    by_kind: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def in_title(self, kind: str, cid: str) -> bool:
        return self.title.get((kind, cid), False)


class Matcher:
    """Built once from the active incidents; match(item) costs one scan whatever their number."""

    def __init__(self, incidents, *, gazetteer: Gazetteer | None = None):
        self.gazetteer = gazetteer or load_gazetteer()
        self.profiles: dict[str, _Profile] = {}
        vocabulary: dict[str, set[_Concept]] = defaultdict(set)
        self._index: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._add_global_vocabulary(vocabulary)
        for incident in incidents:
            profile = self._profile(incident, vocabulary)
            self.profiles[incident.slug] = profile
            self._index_profile(profile)
        # Postings carry each incident's window, so a candidate outside it costs one comparison.
        self._postings: dict[tuple[str, str], tuple[tuple[date, date, _Profile], ...]] = {
            key: tuple((p.incident.since, p.incident.until or date.max, p)
                       for p in (self.profiles[slug] for slug in sorted(slugs)))
            for key, slugs in self._index.items()}
        self._automaton = ahocorasick.Automaton()
        for key, concepts in vocabulary.items():
            self._automaton.add_word(key, (key, tuple(concepts)))
        if vocabulary:
            self._automaton.make_automaton()
        self._empty = not vocabulary

    def match(self, item: Item) -> list[Match]:
        """Every incident this item belongs to, best first; empty when none."""
        if self._empty or not self.profiles:
            return []
        hits = self._scan(item)
        published = utc_date(item.published)
        keys = [*hits.title, *(("capital-country", cc) for cc in hits.capital_countries),
                *(("capital-macro", macro) for macro in hits.capital_macros)]
        seen: set[str] = set()
        matches = []
        for key in keys:
            for since, until, profile in self._postings.get(key, ()):
                # The window is the cheapest test and rules out most candidates: do it before scoring.
                if since <= published <= until and profile.incident.slug not in seen:
                    seen.add(profile.incident.slug)
                    found = _score(profile, hits, published=published, undated=item.published_is_first_seen)
                    if found is not None:
                        logger.debug("match item=%s incident=%s score=%s terms=%s", item.guid, found.incident,
                                     found.score, ",".join(found.terms))
                        matches.append(found)
        return sorted(matches, key=lambda m: (-m.score, m.incident))

    def search_terms(self, slug: str) -> tuple[str, ...]:
        """Every name the incident is known by (keywords, places, actor aliases), e.g. for an FTS look-back."""
        return tuple(dict.fromkeys(self.profiles[slug].search_terms))

    def fts_query(self, slug: str) -> str:
        """An SQLite FTS5 MATCH expression that finds every item that could match the incident."""
        terms = {fold(t) for t in self.search_terms(slug)} - {""}
        return " OR ".join(f'"{t}"' for t in sorted(terms))

    # --- building -------------------------------------------------------------------------------

    def _add_global_vocabulary(self, vocabulary: dict[str, set[_Concept]]) -> None:
        g = self.gazetteer
        for word in g.event_words:
            _add(vocabulary, word, _Concept("event", fold(word.strip("*")), word.strip("*")))
        for word in g.capital_words:
            _add(vocabulary, word, _Concept("capital", "capital", word.strip("*")))
        for macro in g.macros.values():
            for name in macro.names:
                _add(vocabulary, name, _Concept("macro", macro.id, name.strip("*")))
        for place in g.places.values():
            # Every country, region, capital and curated town: needed to tell which country a text is about.
            _add_place(vocabulary, place)
        for actor in g.actors.values():
            for name in (actor.name, *actor.names):
                _add(vocabulary, name, _Concept("actor", actor.id, name.strip("*")))

    def _profile(self, incident: Incident, vocabulary: dict[str, set[_Concept]]) -> _Profile:
        g = self.gazetteer
        profile = _Profile(incident=incident)
        free_terms: list[str] = []
        named_places: list[Place] = []
        for term in incident.places:
            place = g.find_place(term)
            if place is None:
                free_terms.append(term)  # an unknown place name is still the editor's word
            else:
                named_places.append(place)
        for term in incident.actors:
            actor = g.find_actor(term)
            if actor is None:
                free_terms.append(term)
            else:
                profile.actors.add(actor.id)
        loose: list[str] = []
        for term in (*incident.keywords, *incident.aliases):
            place = g.find_place(term, curated_only=True)
            actor = g.find_actor(term)
            if actor is not None:
                profile.actors.add(actor.id)
            elif place is not None:
                named_places.append(place)
            elif not g.is_event_word(term):
                loose.append(term)
        # A town the curated data does not know ("Kita") is a place only inside a country already named.
        known = frozenset(p.country for p in named_places)
        for term in loose:
            place = g.find_place(term, countries=known) if known else None
            if place is not None:
                named_places.append(place)
            else:
                free_terms.append(term)
        for place in _places_in_name(g, incident.name):
            named_places.append(place)
        free_terms.append(incident.name)

        for place in named_places:
            profile.countries.add(place.country)
            profile.search_terms.append(place.name)
            if place.kind == "country":
                profile.exact_countries.add(place.country)
                continue
            if place.kind == "region":
                profile.regions.add(place.id)
            else:
                profile.towns.add(place.id)
                if place.region:
                    profile.regions.add(place.region)
            if place.capital:
                profile.capital_countries.add(place.country)
                profile.capital_macros.update(g.macros_of(place.country))
            _add_place(vocabulary, place)  # GeoNames towns are not in the global vocabulary
        for cc in profile.countries:
            for town in g.towns_in(cc):
                _add_place(vocabulary, town)  # so that "another town of the same country" is seen
        for actor_id in list(profile.actors):
            actor = g.actors[actor_id]
            profile.parent_actors.update(actor.parents)
            profile.search_terms.extend(actor.names)
        profile.parent_actors -= profile.actors
        for term in free_terms:
            key = fold(term)
            # A name that is only a place or an actor ("Bamako") must not also count as topic evidence.
            if key and not (g.find_place(term, curated_only=True) or g.find_actor(term) or g.is_event_word(term)):
                profile.keywords.add(key)
                profile.search_terms.append(term)
                _add(vocabulary, term, _Concept("keyword", key, term))
        return profile

    def _index_profile(self, profile: _Profile) -> None:
        slug = profile.incident.slug
        for town in profile.towns:
            self._index[("town", town)].add(slug)
        for region in profile.regions:
            self._index[("region", region)].add(slug)
        for cc in profile.countries:
            self._index[("country", cc)].add(slug)
        for cc in profile.capital_countries:
            self._index[("capital-country", cc)].add(slug)
        for macro in profile.capital_macros:
            self._index[("capital-macro", macro)].add(slug)
        for actor in profile.actors | profile.parent_actors:
            self._index[("actor", actor)].add(slug)
        for keyword in profile.keywords:
            self._index[("keyword", keyword)].add(slug)

    # --- scanning -------------------------------------------------------------------------------

    def _scan(self, item: Item) -> _Hits:
        title = fold(item.title)
        body = fold(item.content if len(item.content) >= len(item.summary) else item.summary)
        # "|" never survives fold(), so no multi-word term can run from the title into the body.
        text = f" {title} | {body} "
        title_end = len(title) + 2
        found = []
        for end, (key, concepts) in self._automaton.iter(text):
            found.append((end - len(key) + 1, end + 1, concepts))
        found.sort(key=lambda h: (h[0], -h[1]))
        hits = _Hits()
        capitals: list[int] = []
        anchors: list[tuple[int, str, str]] = []  # (position, "country"|"macro", id) for "capital of ..."
        reach = -1
        for start, end, concepts in found:
            if end <= reach:
                continue  # inside a longer term: "Guinea" in "Guinea-Bissau", "Qaeda" in "al-Qaeda in the ..."
            # Neighbours share one boundary space and both survive: only a span inside an earlier one is dropped.
            reach = max(reach, end)
            in_title = start < title_end
            for concept in concepts:
                ident = (concept.kind, concept.id)
                hits.title[ident] = hits.title.get(ident, False) or in_title
                hits.by_kind[concept.kind].add(concept.id)
                hits.surface.setdefault(ident, concept.surface)
                if concept.country:
                    hits.country_weight[concept.country] += TITLE_WEIGHT if in_title else 1
                    if concept.kind in ("town", "region"):
                        hits.places_by_country[concept.country].add(concept.id)
                if concept.kind == "capital":
                    capitals.append(start)
                elif concept.kind in ("country", "macro"):
                    anchors.append((start, concept.kind, concept.id))
        for position in capitals:
            for where, kind, ident in anchors:
                if abs(where - position) <= CAPITAL_WINDOW:
                    (hits.capital_countries if kind == "country" else hits.capital_macros).add(ident)
        return hits


def _add(vocabulary: dict[str, set[_Concept]], word: str, concept: _Concept) -> None:
    key = term_key(word)
    if key and not any((c.kind, c.id) == (concept.kind, concept.id) for c in vocabulary.get(key, ())):
        vocabulary[key].add(concept)  # first spelling wins: "attaque", not its folded twin "attaqué"


def _add_place(vocabulary: dict[str, set[_Concept]], place: Place) -> None:
    kind = place.kind
    # A region's bare name is often a town's or a word ("Centre", "Est"): regions match on their listed names.
    names = place.names if kind == "region" and place.names else (place.name, *place.names)
    main = fold(place.name)
    for name in names:
        if name != place.name and fold(name) == main:
            continue  # "Bamakó" folds like "Bamako": show the editor the usual spelling
        _add(vocabulary, name, _Concept(kind, place.id if kind != "country" else place.country, name, place.country))


def _places_in_name(g: Gazetteer, name: str) -> list[Place]:
    """Curated places named inside an incident's name ("Bamako attacks" -> Bamako)."""
    words = fold(name).split()
    found = []
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            place = g.find_place(" ".join(words[i:i + size]), curated_only=True)
            if place is not None and place not in found:
                found.append(place)
    return found


def _score(profile: _Profile, hits: _Hits, *, published: date, undated: bool) -> Match | None:
    # Set intersections first; the editor-facing terms are only built for an item that matches.
    incident = profile.incident
    kinds = hits.by_kind
    place_score, place_terms, strong_place = _place_evidence(profile, hits)
    keyword_hits = profile.keywords & kinds.get("keyword", set())
    if not (place_score or keyword_hits):
        return None  # nothing says where
    actors = profile.actors & kinds.get("actor", set())
    parents = set() if actors else profile.parent_actors & kinds.get("actor", set())
    events = kinds.get("event", set())
    if not (events or actors or parents or keyword_hits):
        return None  # a place alone: the Mali story about passports

    actor_score = 0.0
    if actors:
        actor_score = 2.5 if any(hits.in_title("actor", a) for a in actors) else 2.0
    elif parents:
        actor_score = 1.0
    keyword_score = 0.0
    if keyword_hits:
        keyword_score = 2.0 + min(len(keyword_hits) - 1, 2)
        keyword_score += 0.5 if any(hits.in_title("keyword", k) for k in keyword_hits) else 0.0
    event_score = 0.0
    if events:
        event_score = 1.5 if any(hits.in_title("event", e) for e in events) else 1.0
    score = place_score + actor_score + keyword_score + event_score
    if score < MATCH_THRESHOLD:
        return None
    weak = not (strong_place or actor_score >= 2.0 or keyword_score)
    if weak and (published - incident.since).days > WEAK_DAYS:
        return None
    if undated and not (strong_place or keyword_score):
        return None  # no publication date: only the editor's own words are safe from old stories
    if _other_country_dominates(profile, hits, strong=strong_place):
        return None  # the same week's attack in a neighbouring country

    terms = list(place_terms)
    terms += [f"actor:{hits.surface[('actor', a)]}" for a in sorted(actors)]
    terms += [f"actor-affiliate:{hits.surface[('actor', a)]}" for a in sorted(parents)]
    terms += [f"keyword:{hits.surface[('keyword', k)]}" for k in sorted(keyword_hits)]
    terms += [f"event:{hits.surface[('event', e)]}" for e in sorted(events)[:3]]
    return Match(incident=incident.slug, score=round(score, 2), terms=tuple(terms), weak=weak)


def _place_evidence(profile: _Profile, hits: _Hits) -> tuple[float, list[str], bool]:
    """Place score, the terms behind it, and whether it came from the incident's own place name."""
    kinds = hits.by_kind
    towns = profile.towns & kinds.get("town", set())
    whole = profile.exact_countries & kinds.get("country", set())
    if towns or whole:
        terms = [f"place:{hits.surface[('town', t)]}" for t in sorted(towns)]
        terms += [f"place:{hits.surface[('country', c)]}" for c in sorted(whole)]
        title = any(hits.in_title("town", t) for t in towns) or any(hits.in_title("country", c) for c in whole)
        return (3.5 if title else 3.0), terms, True
    regions = profile.regions & kinds.get("region", set())
    if regions:
        return 2.0, [f"region:{hits.surface[('region', r)]}" for r in sorted(regions)], False
    capital_cc = profile.capital_countries & hits.capital_countries
    if capital_cc:
        return 2.0, [f"capital-of:{hits.surface[('country', min(capital_cc))]}"], False
    capital_macro = profile.capital_macros & hits.capital_macros
    if capital_macro:
        return 1.5, [f"capital-in:{hits.surface[('macro', min(capital_macro))]}"], False
    countries = profile.countries & kinds.get("country", set())
    if countries:
        own = profile.towns | profile.regions
        if any(hits.places_by_country.get(cc, set()) - own for cc in countries):
            return 0.0, [], False  # the text names another town of that country: probably another event
        return 1.0, [f"country:{hits.surface[('country', cc)]}" for cc in sorted(countries)], False
    return 0.0, [], False


def _other_country_dominates(profile: _Profile, hits: _Hits, *, strong: bool) -> bool:
    own = sum(hits.country_weight.get(cc, 0) for cc in profile.countries)
    others = [w for cc, w in hits.country_weight.items() if cc not in profile.countries]
    if not others:
        return False
    # With the incident's own place named, another country must clearly dominate, not just be mentioned.
    return max(others) > own * (2 if strong else 1)


def utc_date(moment: datetime) -> date:
    """The UTC calendar date of an aware datetime (naive ones are taken as UTC)."""
    return moment.astimezone(timezone.utc).date() if moment.tzinfo else moment.date()
