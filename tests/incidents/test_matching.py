"""Matching items to tracked incidents, and the /incident command language (track, names)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.incidents.commands import (CommandError, parse_command, parse_track_args, resolve_incident, slugify)
from bot.incidents.matching import WEAK_DAYS, Matcher
from bot.models import Incident, Item

SEEDS = Path(__file__).parents[2] / "bot" / "demo" / "articles"  # the seed articles, shipped with the demo
BAMAKO_SEEDS = {  # file -> publication date (gold.yaml; "~" dates inferred from the text)
    "000_5cdb089f230bfa05.txt": date(2024, 9, 24),
    "001_f906829c3a93a056.txt": date(2024, 9, 20),
    "002_c6df8b2cbe4401de.txt": date(2024, 9, 19),
    "003_676fc48b9d415949.txt": date(2024, 9, 18),
}
KATI_SEED = "004_a478c12d8a55944d.txt"
TRACK = "Bamako attacks keywords: bamako, gendarmerie school, JNIM since: 2024-09-17 channel: #mali-desk"


def seed_item(name: str, published: date) -> Item:
    title, _, body = (SEEDS / name).read_text(encoding="utf-8").partition("\n")
    return make_item(title, body, published=published)


def make_item(title: str, body: str = "", *, published: date = date(2024, 9, 18), first_seen: bool = False) -> Item:
    return Item(feed_id="test", guid=title, link=None, title=title, summary="", content=body, author=None,
                published=datetime(published.year, published.month, published.day, 9, tzinfo=timezone.utc),
                published_is_first_seen=first_seen, lang=None)


@pytest.fixture(scope="module")
def bamako() -> Incident:
    return parse_track_args(TRACK, today=date(2024, 9, 18))


@pytest.fixture(scope="module")
def matcher(bamako) -> Matcher:
    return Matcher([bamako])


def slugs(matches) -> list[str]:
    return [m.incident for m in matches]


# --- the founding case ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BAMAKO_SEEDS))
def test_every_bamako_seed_article_matches_the_bamako_incident(matcher, name):
    matches = matcher.match(seed_item(name, BAMAKO_SEEDS[name]))
    assert slugs(matches) == ["bamako-attacks"]
    assert "place:Bamako" in matches[0].terms
    assert not matches[0].weak


def test_kati_article_of_july_2022_does_not_join_the_bamako_incident_since_2024(matcher):
    assert matcher.match(seed_item(KATI_SEED, date(2022, 8, 1))) == []


def test_kati_article_joins_a_kati_incident_of_its_own_time_and_bamako_2024_articles_do_not():
    kati = Incident(slug="kati", name="Kati base attack", since=date(2022, 7, 22), until=date(2022, 8, 31),
                    keywords=("Kati",))
    matcher = Matcher([kati])
    assert slugs(matcher.match(seed_item(KATI_SEED, date(2022, 8, 1)))) == ["kati"]
    for name, published in BAMAKO_SEEDS.items():
        assert matcher.match(seed_item(name, published)) == []


def test_matched_terms_say_why_the_item_matched(matcher):
    match = matcher.match(seed_item("003_676fc48b9d415949.txt", date(2024, 9, 18)))[0]
    assert "actor:Jama'a Nusrat ul-Islam wa al-Muslimin" in match.terms
    assert any(t.startswith("event:") for t in match.terms)


def test_editor_keyword_phrase_is_a_matched_term(matcher):
    match = matcher.match(seed_item("001_f906829c3a93a056.txt", date(2024, 9, 20)))[0]
    assert "keyword:gendarmerie school" in match.terms
    assert "actor:Group for the Support of Islam and Muslims" in match.terms


# --- the time window ------------------------------------------------------------------------------

def test_item_published_the_day_before_since_never_matches(matcher):
    item = make_item("JNIM attack on Bamako gendarmerie school", published=date(2024, 9, 16))
    assert matcher.match(item) == []


def test_item_published_after_until_never_matches(bamako):
    ended = replace(bamako, until=date(2024, 9, 30))
    item = make_item("JNIM attack on Bamako gendarmerie school", published=date(2024, 10, 1))
    assert Matcher([ended]).match(item) == []
    assert slugs(Matcher([ended]).match(replace(item, published=datetime(2024, 9, 30, 23, tzinfo=timezone.utc))))


def test_evidence_without_the_editors_words_counts_only_in_the_first_days(matcher):
    headline = "Gunmen attack the capital of a West African state"
    assert slugs(matcher.match(make_item(headline, published=date(2024, 9, 17 + WEAK_DAYS))))
    assert matcher.match(make_item(headline, published=date(2024, 9, 18 + WEAK_DAYS))) == []


def test_undated_item_needs_the_incidents_own_place_or_keywords(matcher):
    weak = make_item("Gunmen attack the capital of a West African state", first_seen=True)
    strong = make_item("Gunmen attack Bamako", first_seen=True)
    assert matcher.match(weak) == []
    assert slugs(matcher.match(strong)) == ["bamako-attacks"]


# --- coverage that does not use the editor's words --------------------------------------------------

@pytest.mark.parametrize("title,body,expected_term", [
    ("Gunmen attack the capital of a West African state",
     "Heavy gunfire was heard at dawn near a police school and the airport, residents said.",
     "capital-in:West African"),
    ("Militants attack a base in Mali that hosts most of the country's warplanes",
     "Explosions were heard for hours, witnesses said.", "country:Mali"),
    ("Jama'at Nusrat al-Islam wal-Muslimin claims deadly assault",
     "The al-Qaeda affiliate said its fighters struck the Malian capital on Tuesday.",
     "actor:Jama'at Nusrat al-Islam wal-Muslimin"),
    ("Mali : une double attaque jihadiste frappe la capitale",
     "L'école de gendarmerie et l'aéroport militaire ont été visés mardi matin.", "capital-of:Mali"),
    ("Attentat à Bamako : le Groupe de soutien à l'islam et aux musulmans revendique",
     "Des dizaines de morts selon des sources sécuritaires.", "place:Bamako"),
    ("Terrorangriff in Malis Hauptstadt: Dutzende Tote",
     "Die Gruppe zur Unterstützung des Islam und der Muslime bekannte sich zu dem Anschlag.",
     "actor:Gruppe zur Unterstützung des Islam und der Muslime"),
    ("Mali: Anschläge in Bamako", "Islamisten griffen eine Polizeischule an.", "place:Bamako"),
])
def test_coverage_in_other_words_matches_within_the_window(matcher, title, body, expected_term):
    matches = matcher.match(make_item(title, body))
    assert slugs(matches) == ["bamako-attacks"]
    assert expected_term in matches[0].terms


# --- look-alikes that must not match -----------------------------------------------------------------

@pytest.mark.parametrize("title,body", [
    ("Burkina Faso: dozens of soldiers killed in jihadist attack near Djibo",
     "JNIM claimed the attack on the army base in northern Burkina Faso, close to the border with Mali. "
     "Burkinabe officials said the toll could rise."),
    ("Jihadists kill 20 in Niger's Tillaberi region",
     "The attack near the border with Mali and Burkina Faso was claimed by IS Sahel. Niger's army said "
     "reinforcements had been sent."),
    ("Ouagadougou: attack on the capital of a West African state", "Gunmen attacked Burkina Faso's capital."),
    ("Mali begins issuing new biometric passports",
     "BAMAKO - Mali's government started issuing passports without the ECOWAS logo on Monday, "
     "the ministry said in Bamako."),
    ("Attack on army post in central Mali kills 12", "Gunmen attacked a post near Mopti, officials said."),
])
def test_neighbouring_violence_and_unrelated_mali_news_do_not_match(matcher, title, body):
    assert matcher.match(make_item(title, body)) == []


# --- many incidents -----------------------------------------------------------------------------------

def test_an_item_is_matched_to_each_incident_it_belongs_to_best_first(bamako):
    airport = Incident(slug="bamako-airport", name="Bamako airport attack", since=date(2024, 9, 17),
                       keywords=("military airport",), places=("Bamako",))
    niger = Incident(slug="tillaberi", name="Tillabéri ambush", since=date(2024, 9, 1), places=("Tillabéri",))
    matcher = Matcher([bamako, airport, niger])
    matches = matcher.match(seed_item("001_f906829c3a93a056.txt", date(2024, 9, 20)))
    assert slugs(matches) == ["bamako-attacks", "bamako-airport"]
    assert matches[0].score >= matches[1].score


def test_places_the_curated_data_lacks_come_from_geonames():
    kita = Incident(slug="kita", name="Kita ambush", since=date(2024, 9, 1), places=("Kita, Mali",))
    matcher = Matcher([kita])
    assert slugs(matcher.match(make_item("Gunmen ambush convoy near Kita", published=date(2024, 9, 2)))) == ["kita"]


def test_plain_keyword_is_not_mistaken_for_a_town_of_the_same_name():
    incident = Incident(slug="x", name="Strike on airport", since=date(2024, 9, 1), keywords=("airport",))
    profile = Matcher([incident]).profiles["x"]
    assert "airport" in profile.keywords and not profile.towns


def test_results_do_not_change_with_hundreds_of_other_incidents(bamako, matcher):
    others = [Incident(slug=f"other-{n}", name=f"Other {n}", since=date(2024, 1, 1), keywords=(f"zzword{n}",))
              for n in range(300)]
    big = Matcher([*others, bamako])
    for name, published in BAMAKO_SEEDS.items():
        item = seed_item(name, published)
        assert big.match(item) == matcher.match(item)


def test_fts_query_covers_aliases_for_the_look_back(matcher):
    query = matcher.fts_query("bamako-attacks")
    assert '"bamako"' in query and '"group to support islam and muslims"' in query and '"gendarmerie school"' in query


def test_no_incidents_no_matches():
    assert Matcher([]).match(make_item("Attack in Bamako")) == []


# --- /incident track and names ----------------------------------------------------------------------

def test_track_command_from_the_issue_parses_to_an_incident(bamako):
    assert bamako.slug == "bamako-attacks"
    assert bamako.name == "Bamako attacks"
    assert bamako.keywords == ("bamako", "gendarmerie school", "JNIM")
    assert bamako.since == date(2024, 9, 17) and bamako.until is None
    assert bamako.channel == "#mali-desk"


def test_track_command_takes_every_field_and_slack_channel_escapes():
    incident = parse_track_args(
        "Kati base attack aliases: Kati; camp Soundiata places: Kati, Mali actors: JNIM since: 2022-07-22 "
        "until: 2022-08-31 channel: <#C024BE91L|mali-desk> keywords: kati", today=date(2024, 1, 1),
        created_by="U1")
    assert incident.aliases == ("Kati", "camp Soundiata")
    assert incident.places == ("Kati", "Mali") and incident.actors == ("JNIM",)
    assert incident.until == date(2022, 8, 31) and incident.channel == "C024BE91L"
    assert incident.keywords == ("kati",) and incident.created_by == "U1"


def test_track_without_since_looks_back_a_week():
    from bot.incidents.commands import DEFAULT_LOOK_BACK_DAYS

    since = parse_track_args("Gao ambush keywords: gao", today=date(2025, 1, 2)).since
    assert since == date(2025, 1, 2) - timedelta(days=DEFAULT_LOOK_BACK_DAYS)


@pytest.mark.parametrize("text,message", [
    ("keywords: bamako since: 2024-09-17", "needs a name"),
    ("Bamako since: whenever it started", "a date like"),
    ("Bamako since: 2024-09-17 until: 2024-09-01", "before since"),
])
def test_track_command_errors_are_explained(text, message):
    with pytest.raises(CommandError, match=message):
        parse_track_args(text, today=date(2024, 9, 18))


def test_slug_of_a_taken_name_gets_the_start_date_then_a_counter():
    assert slugify("Bamako attacks") == "bamako-attacks"
    assert slugify("Bamako attacks", since=date(2025, 1, 5), taken={"bamako-attacks"}) == "bamako-attacks-2025-01-05"
    assert slugify("Bamako attacks", since=date(2025, 1, 5),
                   taken={"bamako-attacks", "bamako-attacks-2025-01-05"}) == "bamako-attacks-2025-01-05-2"
    assert slugify("Attaque de l'école de gendarmerie à Bamako") == "attaque-ecole-gendarmerie-bamako"


@pytest.mark.parametrize("text,command,name", [
    ("/incident bamako toll", "toll", "bamako"),
    ("/incident bamako attacks timeline", "timeline", "bamako attacks"),
    ("/incident bamako", "summary", "bamako"),
    ("/incident untrack bamako", "untrack", "bamako"),
    ("/incident list", "list", None),
    ("/incident", "help", None),
    ("/incident help", "help", None),
])
def test_incident_commands_are_parsed(text, command, name):
    parsed = parse_command(text)
    assert (parsed.command, parsed.name) == (command, name)


def test_track_command_keeps_its_arguments():
    assert parse_command(f"/incident track {TRACK}").args == TRACK


INCIDENTS = [
    Incident(slug="bamako-attacks", name="Bamako attacks", since=date(2024, 9, 17), aliases=("JNIM Bamako",)),
    Incident(slug="bamako-2025", name="Bamako fuel blockade", since=date(2025, 9, 1)),
    Incident(slug="kati", name="Kati base attack", since=date(2022, 7, 22)),
]


@pytest.mark.parametrize("query,slug", [
    ("bamako-attacks", "bamako-attacks"), ("Bamako attacks", "bamako-attacks"), ("jnim bamako", "bamako-attacks"),
    ("bamako-a", "bamako-attacks"), ("kat", "kati"), ("KATI", "kati"),
])
def test_incident_is_named_by_slug_alias_name_or_unambiguous_prefix(query, slug):
    assert resolve_incident(query, INCIDENTS).incident.slug == slug


def test_ambiguous_prefix_gives_candidates_never_a_guess():
    resolution = resolve_incident("bamako", INCIDENTS)
    assert resolution.incident is None
    assert {i.slug for i in resolution.candidates} == {"bamako-attacks", "bamako-2025"}


def test_unknown_name_gives_close_candidates_or_the_whole_list():
    assert [i.slug for i in resolve_incident("kato", INCIDENTS).candidates] == ["kati"]
    unknown = resolve_incident("timbuktu", INCIDENTS)
    assert unknown.incident is None and len(unknown.candidates) == 3


# --- the gazetteer behind the expansion ---------------------------------------------------------------

def test_fold_makes_spellings_and_punctuation_agree():
    from bot.incidents.gazetteer import fold

    assert fold("Jama’a Nusrat ul-Islam") == fold("jama'a nusrat ul islam") == "jama a nusrat ul islam"
    assert fold("Goïta, Ségou, Straße, œuvre") == "goita segou strasse oeuvre"
    assert fold("al‐Qaeda «Bamako»") == "al qaeda bamako"


def test_gazetteer_knows_capitals_countries_regions_and_exonyms():
    from bot.incidents.gazetteer import load_gazetteer

    g = load_gazetteer()
    assert g.capital_of("ML").name == "Bamako" and g.capital_of("BF").name == "Ouagadougou"
    assert g.find_place("Tombouctou").name == "Timbuktu"
    assert g.find_place("Kati").region == "region:ML-2"
    assert g.find_place("Malian").id == "ML" and g.find_place("Elfenbeinküste").id == "CI"
    assert g.find_place("Moskau").country == "RU"
    assert {"west_africa", "sahel"} <= set(g.macros_of("ML"))


@pytest.mark.parametrize("alias,actor", [
    ("JNIM", "jnim"), ("GSIM", "jnim"), ("Jama'at Nusrat al-Islam wal-Muslimin", "jnim"),
    ("Group to Support Islam and Muslims", "jnim"), ("Groupe de soutien à l'islam et aux musulmans", "jnim"),
    ("ISGS", "is_sahel"), ("État islamique au Grand Sahara", "is_sahel"), ("Africa Corps", "wagner"),
    ("Wagner Group", "wagner"),
])
def test_actor_aliases_resolve_to_one_actor(alias, actor):
    from bot.incidents.gazetteer import load_gazetteer

    assert load_gazetteer().find_actor(alias).id == actor


def test_incident_named_after_a_place_does_not_turn_the_place_into_topic_evidence():
    matcher = Matcher([Incident(slug="bamako", name="Bamako", since=date(2024, 9, 17))])
    passports = make_item("Mali begins issuing new passports", "The ministry in Bamako said on Monday.")
    assert matcher.match(passports) == []
    assert slugs(matcher.match(make_item("Gunmen attack Bamako airport"))) == ["bamako"]


# --- any kind of incident: event vocabulary in English, French and German -----------------------------

def track(text: str) -> Incident:
    return parse_track_args(text, today=date(2020, 8, 1))


@pytest.mark.parametrize("title,body", [
    ("Soldiers detain Mali's president in apparent coup", "Mutineers seized the Kati base near Bamako."),
    ("Mali : les putschistes promettent une transition", "La junte a pris le pouvoir à Bamako mardi."),
    ("Militärputsch in Mali", "Meuternde Soldaten haben in Bamako den Präsidenten festgesetzt."),
])
def test_a_coup_is_an_event_in_english_french_and_german(title, body):
    coup = track("Mali coup keywords: Mali, coup since: 2020-08-18 until: 2020-09-01")
    assert slugs(Matcher([coup]).match(make_item(title, body, published=date(2020, 8, 19)))) == ["mali-coup"]


@pytest.mark.parametrize("incident,title,body", [
    ("Karachi PIA plane crash keywords: Karachi since: 2020-05-22",
     "Karachi: airliner came down on a residential area", "The wreckage of the Airbus lay between houses."),
    ("Karachi PIA plane crash keywords: Karachi since: 2020-05-22",
     "Karachi : l'avion s'est écrasé sur un quartier résidentiel", "Les boîtes noires ont été retrouvées."),
    ("Beirut port explosion keywords: Beirut since: 2020-05-22",
     "Beirut: Druckwelle zerstört Hafenviertel", "Die Explosion war kilometerweit zu hören."),
    ("Nova Scotia shooting keywords: Nova Scotia since: 2020-05-22",
     "Nova Scotia rampage: gunman posed as a police officer", "He opened fire in several villages."),
    ("Leigh-on-Sea killing keywords: Leigh-on-Sea since: 2020-05-22",
     "Leigh-on-Sea: MP stabbed at constituency surgery", "A man was arrested at the scene."),
    ("Jolo bombings keywords: Jolo since: 2020-05-22",
     "Jolo: dalawang pagsabog sa plaza", "Maraming patay at sugatan."),
])
def test_crashes_explosions_shootings_stabbings_are_events_too(incident, title, body):
    incident = track(incident)
    assert slugs(Matcher([incident]).match(make_item(title, body, published=date(2020, 5, 23)))) == [incident.slug]


def test_poisoning_named_in_the_incident_makes_its_own_kind_count_more_than_another_kind():
    navalny = Matcher([track("Navalny poisoning keywords: Omsk since: 2020-08-20")])
    poisoned = navalny.match(make_item("Omsk doctors say no trace of poison", published=date(2020, 8, 21)))
    crash = navalny.match(make_item("Omsk: a lorry crashed into a bus", published=date(2020, 8, 21)))
    assert poisoned and "event:poison" in poisoned[0].terms
    assert not crash or crash[0].score < poisoned[0].score


def test_the_incidents_name_counts_as_a_keyword():
    navalny = Matcher([track("Navalny poisoning since: 2020-08-20")])
    matches = navalny.match(make_item("Navalny flown to Berlin in a coma", published=date(2020, 8, 22)))
    assert slugs(matches) == ["navalny-poisoning"] and "keyword:Navalny" in matches[0].terms
    amess = Matcher([track("David Amess killing keywords: Leigh-on-Sea since: 2020-08-20")])
    assert "keyword:David Amess" in amess.match(
        make_item("Tributes paid to Sir David Amess", published=date(2020, 8, 22)))[0].terms


def test_mali_inside_somalia_is_not_mali():
    coup = Matcher([track("Mali coup keywords: Mali, coup, Bamako since: 2020-08-18 until: 2020-09-01")])
    item = make_item("Hotel Assault in Somalia's Capital Raises Fresh Questions About Al-Shabaab",
                     "Gunmen stormed a hotel in Mogadishu; a coup attempt is not suspected.", published=date(2020, 8, 19))
    assert coup.match(item) == []


def test_a_covid_hospital_story_is_not_the_kabul_maternity_ward_attack():
    kabul = Matcher([track("Kabul maternity ward attack keywords: Kabul, maternity, hospital "
                           "since: 2020-05-12 until: 2020-05-26")])
    covid = make_item("Coronavirus: Weston General Hospital halts admissions", "Patients were sent elsewhere.",
                      published=date(2020, 5, 25))
    attack = make_item("Gunmen storm maternity hospital", "Mothers and newborns were killed in the Afghan capital, Kabul.",
                       published=date(2020, 5, 13))
    assert kabul.match(covid) == []
    assert slugs(kabul.match(attack)) == ["kabul-maternity-ward-attack"]


# --- the incident profile: what its coverage says, learned from confident matches ---------------------

def _learning_run(matcher: Matcher, items, *, state=None):
    """What processing does for each item: count it into the background, match, learn from confident matches."""
    from bot.incidents import profile

    results = []
    for item in items:
        words = matcher.item_words(item)
        profile.observe(matcher.background, words, item.published.date())
        matches = matcher.match(item, words=words)
        for match in matches:
            if profile.is_confident(match):
                state = profile.learn(state, words)
                matcher.set_profile(match.incident, state)
        results.append(matches)
    return results, state


NAVALNY_TRACK = "Navalny poisoning keywords: Navalny, poisoning, Omsk since: 2020-08-20 until: 2020-09-03"
NAVALNY_COVERAGE = [
    ("Navalny poisoning: Germany says Novichok was used", "Tests show the Kremlin critic was poisoned with Novichok."),
    ("Navalny in a coma after suspected poisoning", "Doctors in Omsk are treating him; allies suspect Novichok."),
    ("Berlin clinic: Navalny was poisoned", "The Charité says the nerve agent was of the Novichok group."),
    ("Navalny poisoning: EU demands inquiry", "Ministers said the use of Novichok must be investigated."),
    ("Kremlin denies role in Navalny poisoning", "Moscow dismissed the Novichok findings."),
    ("Navalny out of coma", "The Charité said the Novichok victim was responding."),
]
OTHER_NEWS = [("Berlin votes on a new budget", "The city parliament met in Berlin."),
              ("Germany: exports rise", "Economists in Berlin expected growth."),
              ("Belarus protests go on", "Crowds gathered in Minsk again.")]


def test_a_navalny_story_that_says_only_novichok_joins_once_the_profile_learned_it():
    only_novichok = make_item("Novichok: what we know about the nerve agent",
                              "The substance was developed in the Soviet Union.", published=date(2020, 9, 2))
    assert Matcher([track(NAVALNY_TRACK)]).match(only_novichok) == []  # the editor's words alone: no
    matcher = Matcher([track(NAVALNY_TRACK)])
    coverage = [make_item(t, b, published=date(2020, 8, 21 + n)) for n, (t, b) in enumerate(NAVALNY_COVERAGE)]
    others = [make_item(t, b, published=date(2020, 8, 25)) for t, b in OTHER_NEWS]
    results, state = _learning_run(matcher, [*coverage, *others, only_novichok])
    assert all(slugs(r) == ["navalny-poisoning"] for r in results[:6])
    assert state["n"] == 6 and state["seen"]["novichok"] == 6
    joined = results[-1]
    assert slugs(joined) == ["navalny-poisoning"] and "profile:novichok" in joined[0].terms


def test_a_word_the_whole_news_uses_never_joins_an_item_to_the_profile():
    matcher = Matcher([track(NAVALNY_TRACK)])
    coverage = [make_item(t, b, published=date(2020, 8, 21 + n)) for n, (t, b) in enumerate(NAVALNY_COVERAGE)]
    berlin = [make_item(f"Berlin news {n}", "Berlin city council met.", published=date(2020, 8, 26)) for n in range(8)]
    coverage = [replace(i, summary=i.content + " The Berlin hospital said so.", content="") for i in coverage]
    results, state = _learning_run(matcher, [*berlin[:4], *coverage, *berlin[4:]])
    assert state["seen"]["berlin"] == len(coverage)
    assert all(r == [] for r in results[-4:])  # "Berlin" is in the coverage, but in far more besides


def test_the_profile_learns_only_from_the_editors_evidence_and_its_state_round_trips_as_json():
    import json

    from bot.incidents import profile

    state = profile.learn(None, frozenset({"novichok", "omsk"}))
    assert profile.learn(state, frozenset({"novichok"}))["seen"]["novichok"] == 2
    assert state["seen"]["novichok"] == 1  # learn() returns a new state, the old one is untouched
    assert json.loads(json.dumps(state)) == state
    from bot.incidents.matching import Match

    assert not profile.is_confident(Match("navalny", 3.0, ("profile:novichok",)))  # never learns from its joins
    assert profile.is_confident(Match("navalny", 5.0, ("keyword:Navalny", "event:poisoning")))


def test_event_words_come_from_the_data_file_by_kind():
    from bot.incidents.gazetteer import load_gazetteer

    g = load_gazetteer()
    assert g.kinds_of("Navalny poisoning") == {"poisoning"} and g.kinds_of("Mali coup") == {"coup"}
    assert g.kinds_of("Karachi PIA plane crash") == {"crash"} and g.kinds_of("Bamako attacks") == {"attack"}
    assert g.kinds_of("killed") == frozenset()  # a general kind: every incident accepts it
    for word in ("putsch", "staatsstreich", "empoisonnement", "vergiftet", "fusillade", "amoklauf", "séisme",
                 "enlèvement", "entführt", "abgestürzt", "poignardé"):
        assert g.is_event_word(word), word


def test_the_look_back_also_searches_the_words_the_profile_learned():
    from bot.incidents import profile

    matcher = Matcher([track(NAVALNY_TRACK)])
    state = profile.learn(profile.learn(None, frozenset({"novichok"})), frozenset({"novichok"}))
    matcher.set_profile("navalny-poisoning", state)
    assert '"novichok"' in matcher.fts_query("navalny-poisoning")
