"""How an item's hits score against one incident, and how an incident's name splits into terms; pure.

Split from matching.py (the automaton, the scan and the index stay there); its docstring states the rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from bot.incidents.gazetteer import Gazetteer, Place, fold
from bot.models import Incident

MATCH_THRESHOLD = 2.5
WEAK_DAYS = 7
TITLE_WEIGHT = 3  # a country in the title counts like three in the body, when deciding which country dominates



@dataclass(frozen=True)
class Match:
    """One item matched to one incident, with the terms that made it match (shown to editors)."""

    incident: str  # slug
    score: float
    terms: tuple[str, ...]  # "place:Bamako", "actor:JNIM (Group to Support Islam and Muslims)", ...
    weak: bool = False  # matched on country/capital/region evidence only, not the editor's own words


@dataclass
class Expansion:
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
    topics: set[str] = field(default_factory=set)  # folded keywords that say what, not where/who ("hospital")
    kinds: frozenset[str] = frozenset()  # kinds of event the incident is ("coup", "poisoning"); empty: any
    fitting_events: frozenset[str] = frozenset()  # event word ids of its kinds or a general kind
    search_terms: list[str] = field(default_factory=list)


@dataclass
class Hits:
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


STOPWORDS = frozenset("the a an of in on at and for to by with le la les l d de des du et au aux en "
                       "der die das den dem im von und zu bei".split())


def name_parts(name: str) -> tuple[list[str], list[str]]:
    """An incident's name as names (runs of capitalised words: "David Amess", "Nova Scotia") and topic
    phrases (runs of lower-case words: "maternity ward", "aid workers"); both count as keywords."""
    names: list[str] = []
    topics: list[str] = []
    run: list[str] = []
    run_cased = None
    for word in [*name.split(), ""]:
        # "Amess", "PK8303" are names; a bare number ("2020", "3") is no word of either.
        if word.isdigit():
            continue
        cased = bool(word) and (word[0].isupper() or any(c.isdigit() for c in word))
        if run and (not word or cased != run_cased or fold(word) in STOPWORDS):
            (names if run_cased else topics).append(" ".join(run))
            run = []
        if word and fold(word) not in STOPWORDS:
            run.append(word)
            run_cased = cased
    return names, topics


def without_event_words(g: Gazetteer, phrase: str) -> list[str]:
    """The runs of a phrase between its event words."""
    runs, run = [], []
    for word in phrase.split():
        if g.is_event_word(word):
            runs.append(" ".join(run))
            run = []
        else:
            run.append(word)
    runs.append(" ".join(run))
    return [r for r in runs if r] if len(runs) > 1 else [phrase]


def places_in_name(g: Gazetteer, name: str) -> list[Place]:
    """Curated places named inside an incident's name ("Bamako attacks" -> Bamako)."""
    words = fold(name).split()
    found = []
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            place = g.find_place(" ".join(words[i:i + size]), curated_only=True)
            if place is not None and place not in found:
                found.append(place)
    return found


def score_item(profile: Expansion, hits: Hits, *, published: date, undated: bool) -> Match | None:
    # Set intersections first; the editor-facing terms are only built for an item that matches.
    incident = profile.incident
    kinds = hits.by_kind
    place_score, place_terms, strong_place = _place_evidence(profile, hits)
    found_keywords = kinds.get("keyword", set())
    keyword_hits = profile.keywords & found_keywords
    if not (place_score or keyword_hits):
        return None  # nothing says where (or who): a "hospital" story anywhere
    topic_hits = profile.topics & found_keywords
    actors = profile.actors & kinds.get("actor", set())
    parents = set() if actors else profile.parent_actors & kinds.get("actor", set())
    events = kinds.get("event", set())
    own_events, other_events = events, set()
    if profile.kinds and events:
        own_events = events & profile.fitting_events
        other_events = events - own_events
    if not (own_events or actors or parents or keyword_hits or (topic_hits and other_events)):
        return None  # a place alone (the Mali story about passports), or a place and a word of the topic

    actor_score = 0.0
    if actors:
        actor_score = 2.5 if any(hits.in_title("actor", a) for a in actors) else 2.0
    elif parents:
        actor_score = 1.0
    keyword_score = 0.0
    if keyword_hits:
        keyword_score = 2.5 + min(len(keyword_hits) - 1, 2)
        keyword_score += 0.5 if any(hits.in_title("keyword", k) for k in keyword_hits) else 0.0
    topic_score = 0.0
    if topic_hits:
        topic_score = 1.0 + 0.5 * min(len(topic_hits) - 1, 2)
        topic_score += 0.5 if any(hits.in_title("keyword", k) for k in topic_hits) else 0.0
    event_score = 0.0
    if own_events:
        event_score = 1.5 if any(hits.in_title("event", e) for e in own_events) else 1.0
    elif other_events:
        event_score = 0.5
    keyword_score += topic_score
    keyword_hits = keyword_hits | topic_hits
    score = place_score + actor_score + keyword_score + event_score
    if score < MATCH_THRESHOLD:
        return None
    named = keyword_score - topic_score
    weak = not (strong_place or actor_score >= 2.0 or named)
    if weak and (published - incident.since).days > WEAK_DAYS:
        return None
    if undated and not (strong_place or named):
        return None  # no publication date: only the editor's own words are safe from old stories
    if _other_country_dominates(profile, hits, strong=strong_place):
        return None  # the same week's attack in a neighbouring country

    terms = list(place_terms)
    terms += [f"actor:{hits.surface[('actor', a)]}" for a in sorted(actors)]
    terms += [f"actor-affiliate:{hits.surface[('actor', a)]}" for a in sorted(parents)]
    terms += [f"keyword:{hits.surface[('keyword', k)]}" for k in sorted(keyword_hits)]
    terms += [f"event:{hits.surface[('event', e)]}" for e in sorted(own_events or other_events)[:3]]
    return Match(incident=incident.slug, score=round(score, 2), terms=tuple(terms), weak=weak)


@lru_cache(maxsize=256)
def fitting_events(g: Gazetteer, kinds: frozenset[str]) -> frozenset[str]:
    """Event word ids of these kinds or of a kind any incident accepts ("killed")."""
    accepted = kinds | g.general_kinds
    return frozenset(word for word, found in g.event_kinds.items() if found & accepted)


def _place_evidence(profile: Expansion, hits: Hits) -> tuple[float, list[str], bool]:
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


def _other_country_dominates(profile: Expansion, hits: Hits, *, strong: bool) -> bool:
    if not profile.countries:
        return False  # an incident known by names only ("Navalny"): no country to be outweighed
    own = sum(hits.country_weight.get(cc, 0) for cc in profile.countries)
    others = [w for cc, w in hits.country_weight.items() if cc not in profile.countries]
    if not others:
        return False
    # With the incident's own place named, another country must clearly dominate, not just be mentioned.
    return max(others) > own * (2 if strong else 1)


