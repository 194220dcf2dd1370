"""Item -> tracked incidents: one Aho-Corasick automaton over every incident's expanded terms; pure.

How an item is scored against an incident (the numbers are the weights; scoring.py computes them):
- place: the incident's own place named 3 (+0.5 in the title); its region 2; "capital" next to its
  country 2 or next to a macro-region that holds it ("a West African state") 1.5; the country alone 1,
  or 0 when the text names another town of that country instead (a different attack in Mopti);
- actor: one of the incident's actors under any alias 2 (+0.5 in the title); only its parent
  ("an al-Qaeda-linked group") 1;
- names: the editor's keywords and aliases that are neither place, actor nor event word, and the runs of
  capitalised words of the incident's name ("David Amess", "Nova Scotia"): 2.5 for the first, 1 for each
  further one (at most 2 more), +0.5 in the title. A name says which story it is on its own ("Navalny");
- topics: keywords the editor wrote in lower case when they capitalised others ("Kabul, maternity,
  hospital"), and the lower-case words of the name ("maternity ward"): 1, +0.5 each more, +0.5 in the
  title. A topic says what, never where: a Covid "hospital" story elsewhere has no place or name;
- an event word (data/events.yaml, by kind: attack, bombing, explosion, shooting, stabbing, coup, poisoning,
  crash, disaster, kidnapping, and the general casualties and violence) 1 (+0.5 in the title); when the
  incident has a kind ("Navalny poisoning"), words of another kind only ("crashed") count 0.5.
An item matches when its score reaches MATCH_THRESHOLD and all gates pass: published inside
[since, until]; some place, name or actor evidence; some topic evidence beyond the place (event, actor or
keyword: a Mali story about passports has none); no other country dominates the text (a neighbour's
attack; incidents without a place have no country to outweigh); and evidence weaker than the place's own
name (capital, country) counts only in the first WEAK_DAYS days, because "an attack in Mali" a month later
is probably another attack. Words match whole ("Mali" is not inside "Somalia").

Two more ways in, each explained in the match's terms:
- the incident's learned profile (profile.py; set_profile()): names its confident coverage uses and little
  else does ("profile:novichok");
- its event (events.py; event_match()): an item firmly grouped with items the incident matched with
  confidence ("event-of:3 items (omsk, navalny)"); the caller holds the event index.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone

import ahocorasick

from bot.incidents import profile as learned_profile
from bot.incidents.gazetteer import Gazetteer, Place, fold, load_gazetteer, term_key
from bot.incidents.scoring import (MATCH_THRESHOLD, STOPWORDS, TITLE_WEIGHT, WEAK_DAYS, Expansion, Hits,  # noqa: F401
                                   Match, fitting_events, name_parts, places_in_name, score_item,
                                   without_event_words)
from bot.models import Incident, Item

logger = logging.getLogger(__name__)

CAPITAL_WINDOW = 60  # characters between "capital" and the country or region it belongs to


@dataclass(frozen=True)
class _Concept:
    kind: str  # event | capital | country | macro | region | town | actor | keyword
    id: str
    surface: str  # the name as written in the vocabulary, for the editor's "why"
    country: str | None = None


class Matcher:
    """Built once from the active incidents; match(item) costs one scan whatever their number."""

    def __init__(self, incidents, *, gazetteer: Gazetteer | None = None, profiles: dict | None = None,
                 background: dict | None = None):
        self.gazetteer = gazetteer or load_gazetteer()
        # Learned profiles (bot/incidents/profile.py): slug -> state, and the word background they are read against.
        self.background = background if background is not None else learned_profile.new_background()
        self._learned: dict[str, dict] = {}
        self._learned_index: dict[str, set[str]] = defaultdict(set)  # learned word -> slugs
        # Event words are evidence of their own, and a country ("Lebanon", "Lebanese") or a macro-region is too
        # wide to say which event: a profile learns names, towns and actors, not "explosion" or "Lebanon".
        g = self.gazetteer
        self._event_keys = frozenset(
            {fold(w.strip("*")) for w in g.event_words}
            | {fold(n.strip("*")) for p in g.places.values() if p.kind == "country" for n in (p.name, *p.names)}
            | {fold(n.strip("*")) for m in g.macros.values() for n in m.names})
        self.profiles: dict[str, Expansion] = {}
        vocabulary: dict[str, set[_Concept]] = defaultdict(set)
        self._index: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._add_global_vocabulary(vocabulary)
        for incident in incidents:
            profile = self._profile(incident, vocabulary)
            self.profiles[incident.slug] = profile
            self._index_profile(profile)
        # Postings carry each incident's window, so a candidate outside it costs one comparison.
        self._postings: dict[tuple[str, str], tuple[tuple[date, date, Expansion], ...]] = {
            key: tuple((p.incident.since, p.incident.until or date.max, p)
                       for p in (self.profiles[slug] for slug in sorted(slugs)))
            for key, slugs in self._index.items()}
        self._automaton = ahocorasick.Automaton()
        for key, concepts in vocabulary.items():
            self._automaton.add_word(key, (key, tuple(concepts)))
        if vocabulary:
            self._automaton.make_automaton()
        self._empty = not vocabulary
        for slug, state in (profiles or {}).items():
            self.set_profile(slug, state)

    def set_profile(self, slug: str, state: dict | None) -> None:
        """Use this learned profile for the incident from now on (after profile.learn())."""
        if slug not in self.profiles:
            return
        old = learned_profile.learned(self._learned.get(slug))
        self._learned[slug] = state or learned_profile.new_state()
        for word in learned_profile.learned(state) - old:
            self._learned_index[word].add(slug)

    def item_words(self, item: Item) -> frozenset[str]:
        """The words of an item a profile learns from and is matched on (profile.words of title and body)."""
        body = item.content if len(item.content) >= len(item.summary) else item.summary
        return learned_profile.words(item.title, body) - self._event_keys

    def match(self, item: Item, *, words: frozenset[str] | None = None) -> list[Match]:
        """Every incident this item belongs to, best first; empty when none.

        words: the item's item_words(), when the caller already has them (for the profiles).
        """
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
                    found = score_item(profile, hits, published=published, undated=item.published_is_first_seen)
                    if found is not None:
                        logger.debug("match item=%s incident=%s score=%s terms=%s", item.guid, found.incident,
                                     found.score, ",".join(found.terms))
                        matches.append(found)
        if self._learned_index:
            matches += self._profile_matches(item, published, {m.incident for m in matches}, words)
        return sorted(matches, key=lambda m: (-m.score, m.incident))

    def event_match(self, item: Item, slug: str, *, count: int, shared: tuple[str, ...] = ()) -> Match | None:
        """The item joins an incident because its event does (events.incidents_of_event): inside the window only."""
        profile = self.profiles.get(slug)
        if profile is None or item.published_is_first_seen:
            return None
        incident = profile.incident
        if not (incident.since <= utc_date(item.published) <= (incident.until or date.max)):
            return None
        why = f"event-of:{count} items" + (f" ({', '.join(shared[:3])})" if shared else "")
        return Match(incident=slug, score=MATCH_THRESHOLD, terms=(why,))

    def _profile_matches(self, item: Item, published: date, matched: set[str],
                         words: frozenset[str] | None) -> list[Match]:
        """Incidents this item joins on the words their profiles learned (\"profile:novichok\")."""
        words = self.item_words(item) if words is None else words
        index = self._learned_index
        candidates = {slug for word in words if word in index for slug in index[word]} - matched
        found = []
        for slug in sorted(candidates):
            incident = self.profiles[slug].incident
            if not (incident.since <= published <= (incident.until or date.max)) or item.published_is_first_seen:
                continue
            strength, why = learned_profile.evidence(self._learned[slug], self.background, words)
            if strength >= learned_profile.JOIN:
                found.append(Match(incident=slug, score=round(MATCH_THRESHOLD * strength, 2),
                                   terms=tuple(f"profile:{w}" for w in why)))
        return found

    def search_terms(self, slug: str) -> tuple[str, ...]:
        """Every name the incident is known by (keywords, places, actor aliases), e.g. for an FTS look-back."""
        return tuple(dict.fromkeys(self.profiles[slug].search_terms))

    def fts_query(self, slug: str) -> str:
        """An SQLite FTS5 MATCH expression that finds every item that could match the incident."""
        # Words the incident's profile learned find coverage that no longer uses the editor's words.
        terms = ({fold(t) for t in self.search_terms(slug)} | learned_profile.learned(self._learned.get(slug))) - {""}
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

    def _profile(self, incident: Incident, vocabulary: dict[str, set[_Concept]]) -> Expansion:
        g = self.gazetteer
        profile = Expansion(incident=incident)
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
        name_terms, name_topics = name_parts(incident.name)
        typed = (*incident.keywords, *incident.aliases)
        if typed or incident.places or incident.actors:
            # Beside the editor's keywords, one capitalised word of a name ("Other 3") is too little to say
            # which story it is; a run of them ("David Amess", "Nova Scotia") is a name.
            single = [t for t in name_terms if " " not in t and fold(t) not in {fold(k) for k in typed}]
            name_terms = [t for t in name_terms if t not in single]
            name_topics += [t for t in single if not (g.find_place(t, curated_only=True) or g.find_actor(t))]
        # An editor who capitalises ("Kabul, maternity, hospital") says which words are names; one who types
        # everything in lower case ("bamako, gendarmerie school") has told us nothing, so all are names.
        cased = any(t != t.lower() for t in typed)
        topics: list[str] = list(name_topics)
        for term in (*typed, *name_terms):
            place = g.find_place(term, curated_only=True)
            actor = g.find_actor(term)
            if actor is not None:
                profile.actors.add(actor.id)
            elif place is not None:
                named_places.append(place)
            elif g.is_event_word(term):
                continue
            elif cased and term == term.lower() and term in typed:
                topics.append(term)
            else:
                loose.append(term)
        profile.kinds = frozenset().union(*(g.kinds_of(t) for t in (incident.name, *typed)))
        if profile.kinds:
            profile.fitting_events = fitting_events(g, profile.kinds)
        # A town the curated data does not know ("Kita") is a place only inside a country already named.
        known = frozenset(p.country for p in named_places)
        for term in loose:
            place = g.find_place(term, countries=known) if known else None
            if place is not None:
                named_places.append(place)
            else:
                free_terms.append(term)
        for place in places_in_name(g, incident.name):
            named_places.append(place)
        # "maternity ward attack" -> "maternity ward": its event word counts as an event already.
        for term in (t for phrase in topics for t in without_event_words(g, phrase)):
            key = fold(term)
            if key and key not in STOPWORDS and not g.is_event_word(term):
                profile.topics.add(key)
                profile.search_terms.append(term)
                _add(vocabulary, term, _Concept("keyword", key, term))

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

    def _index_profile(self, profile: Expansion) -> None:
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
        for keyword in profile.topics:
            self._index[("keyword", keyword)].add(slug)

    # --- scanning -------------------------------------------------------------------------------

    def _scan(self, item: Item) -> Hits:
        title = fold(item.title)
        body = fold(item.content if len(item.content) >= len(item.summary) else item.summary)
        # "|" never survives fold(), so no multi-word term can run from the title into the body.
        text = f" {title} | {body} "
        title_end = len(title) + 2
        found = []
        for end, (key, concepts) in self._automaton.iter(text):
            found.append((end - len(key) + 1, end + 1, concepts))
        found.sort(key=lambda h: (h[0], -h[1]))
        hits = Hits()
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


def utc_date(moment: datetime) -> date:
    """The UTC calendar date of an aware datetime (naive ones are taken as UTC)."""
    return moment.astimezone(timezone.utc).date() if moment.tzinfo else moment.date()
