"""The toll: per-source standings, range, leading figure, disputes, timeline and change events."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from bot.models import Claim, LedgerEntry
from bot.incidents.figures import Figure
from bot.incidents.toll import compute_toll, lead
from bot.incidents.toll_events import story_event, toll_events

SEEDS = Path(__file__).parents[2] / "bot" / "demo" / "articles"  # the seed articles, shipped with the demo
GOLD = Path(__file__).parents[1] / "fixtures" / "seeds" / "gold.yaml"
# gold.yaml marks inferred dates with "~"; the day each article came out, at noon UTC.
PUBLISHED = {
    "000_5cdb089f230bfa05.txt": datetime(2024, 9, 24, 12, tzinfo=timezone.utc),
    "001_f906829c3a93a056.txt": datetime(2024, 9, 20, 12, tzinfo=timezone.utc),
    "002_c6df8b2cbe4401de.txt": datetime(2024, 9, 19, 12, tzinfo=timezone.utc),
    "003_676fc48b9d415949.txt": datetime(2024, 9, 18, 12, tzinfo=timezone.utc),
}


def gold_entries() -> list[LedgerEntry]:
    """LedgerEntries built by hand from gold.yaml's claims: one item and one story per Bamako article."""
    gold = yaml.safe_load(GOLD.read_text(encoding="utf-8"))
    entries = []
    for item_id, article in enumerate(gold["articles"], start=1):
        if article["incident"] != "bamako-2024-09-17":
            continue
        text = (SEEDS / article["file"]).read_text(encoding="utf-8")
        for c in article["claims"]:
            start = text.find(c["quote"])
            assert start >= 0, c["quote"]
            claim = Claim(metric=c["metric"], value=c.get("value"), low=None, high=None, qualifier=c["qualifier"],
                          source=c["source"], quote=c["quote"], start=start, end=start + len(c["quote"]),
                          vague=c.get("vague"))
            entries.append(LedgerEntry(claim=claim, item_id=item_id, story_id=item_id, outlet=article["outlet"],
                                       published=PUBLISHED[article["file"]], link=f"https://example.org/{item_id}"))
    return entries


def entry(metric, value, *, source="official", qualifier="exact", day=19, item_id=1, story_id=None, outlet="Outlet A",
          status="current", vague=None, outlets=()):
    claim = Claim(metric=metric, value=value, low=None, high=None, qualifier=qualifier, source=source,
                  quote=f"{value} {metric}", start=0, end=5, vague=vague)
    return LedgerEntry(claim=claim, item_id=item_id, story_id=story_id or item_id, outlet=outlet,
                       published=datetime(2024, 9, day, 12, tzinfo=timezone.utc), status=status, outlets=outlets)


@pytest.fixture(scope="module")
def founding():
    return compute_toll(gold_entries())


def test_founding_case_official_figures_are_77_killed_and_255_injured(founding):
    assert founding.get("killed").standing("official").figure.text == "77"
    assert founding.get("injured").standing("official").figure.text == "255"


def test_founding_case_official_figure_leads_killed_and_injured(founding):
    assert founding.get("killed").leading.source == "official"
    assert founding.get("killed").leading.figure.number == 77
    assert founding.get("injured").leading.figure.number == 255


def test_founding_case_security_sources_latest_after_earlier_figures(founding):
    killed = founding.get("killed").standing("security_sources")
    injured = founding.get("injured").standing("security_sources")
    assert killed.figure.text == "more than 75"
    assert [f.text for f in killed.previous] == ["more than 70"]
    assert injured.figure.text == "more than 250"
    assert [f.text for f in injured.previous] == ["about 200"]
    assert killed.first_reported == PUBLISHED["002_c6df8b2cbe4401de.txt"]
    assert killed.since == killed.last_reported == PUBLISHED["000_5cdb089f230bfa05.txt"]


def test_founding_case_leaked_documents_up_to_100_killed_is_the_high_end(founding):
    killed = founding.get("killed")
    assert killed.standing("leaked_documents").figure.text == "up to 100"
    assert killed.high.source == "leaked_documents"
    assert killed.high.figure.text == "up to 100"


def test_founding_case_81_named_victims_are_a_lower_bound_and_a_dispute(founding):
    named = founding.get("named_victims")
    assert named.leading.figure.number == 81
    assert {s.source for s in named.standings} == {"leaked_documents", "unattributed"}
    assert any("81 victims named" in d for d in founding.get("killed").disputes)


def test_founding_case_hundreds_claimed_by_the_armed_group_is_kept_apart(founding):
    combined = founding.get("killed_or_injured")
    assert [s.source for s in combined.apart] == ["perpetrator_claim"]
    assert combined.apart[0].figure.text == "hundreds"
    assert combined.standings == () and combined.leading is None and combined.high is None
    assert all(s.source != "perpetrator_claim" for m in founding.metrics.values() for s in m.standings)


def test_founding_case_range_runs_from_more_than_70_to_up_to_100(founding):
    killed = founding.get("killed")
    assert (killed.low.figure.text, killed.high.figure.text) == ("more than 70", "up to 100")


def test_vague_official_some_does_not_replace_official_77(founding):
    official = founding.get("killed").standing("official")
    assert official.figure.text == "77"
    assert [f.text for f in official.previous] == ["some"]


def test_timeline_is_in_publication_order_and_official_77_leads_from_19_september(founding):
    whens = [c.when for c in founding.timeline]
    assert whens == sorted(whens)
    official = [c for c in founding.get("killed").timeline if c.source == "official"]
    assert [(c.figure.text, c.when.day) for c in official] == [("some", 18), ("77", 19)]
    assert [c for c in founding.get("killed").timeline if c.leading][-1].figure.text == "77"


def test_superseded_and_rejected_entries_are_out_of_the_toll_but_in_history():
    entries = [entry("killed", 60, item_id=1, status="superseded"), entry("killed", 70, item_id=1, day=20),
               entry("killed", 999, source="medical", item_id=2, status="rejected")]
    toll = compute_toll(entries)
    assert toll.get("killed").standing("official").figure.text == "70"
    assert toll.get("killed").standing("medical") is None
    assert len(toll.history) == 3
    assert [c.figure.text for c in toll.timeline] == ["60", "70"]


def test_syndicated_copies_count_as_one_report_with_every_outlet():
    entries = [entry("killed", 77, item_id=1, story_id=1, outlet="AP"),
               entry("killed", 77, item_id=2, story_id=1, outlet="ABC News"),
               entry("killed", 77, item_id=3, story_id=3, outlet="Reuters")]
    official = compute_toll(entries).get("killed").standing("official")
    assert official.reports == 2
    assert official.outlets == ("AP", "ABC News", "Reuters")


def test_stale_repeat_of_an_older_figure_does_not_turn_the_toll_back():
    entries = [entry("killed", 70, day=19, item_id=1), entry("killed", 77, day=20, item_id=2),
               entry("killed", 70, day=21, item_id=3)]
    assert compute_toll(entries).get("killed").standing("official").figure.text == "77"


def test_stale_repeats_keep_when_the_figure_was_first_reported_and_are_not_timeline_steps():
    entries = [entry("killed", 70, day=19, item_id=1), entry("killed", 77, day=20, item_id=2),
               entry("killed", 70, day=21, item_id=3), entry("killed", 77, day=22, item_id=4)]
    toll = compute_toll(entries)
    official = toll.get("killed").standing("official")
    assert (official.since.day, official.last_reported.day, official.reports) == (20, 22, 2)
    assert [f.text for f in official.previous] == ["70"]
    assert [c.figure.text for c in toll.timeline] == ["70", "77"]


def test_syndicated_copies_merge_outlets_in_order_of_first_appearance_current_copies_only():
    entries = [entry("killed", 77, item_id=1, story_id=1, outlet="AP", outlets=("AP", "Reuters")),
               entry("killed", 77, item_id=2, story_id=1, outlet="ABC News", outlets=("ABC News", "AP")),
               entry("killed", 77, item_id=3, story_id=1, outlet="DW", day=20, status="superseded")]
    official = compute_toll(entries).get("killed").standing("official")
    assert (official.reports, official.outlets) == (1, ("AP", "Reuters", "ABC News"))


def test_on_a_tie_the_latest_report_leads_in_the_toll_and_the_timeline():
    toll = compute_toll([entry("killed", 77, day=19, item_id=1),
                         entry("killed", 77, source="medical", day=20, item_id=2)])
    assert toll.get("killed").leading.source == "medical"
    assert [(c.source, c.leading) for c in toll.get("killed").timeline] == [("official", True), ("medical", True)]


def test_official_figure_leads_even_when_security_sources_are_lower():
    entries = [entry("killed", 50, source="security_sources", qualifier="more_than"), entry("killed", 77)]
    assert compute_toll(entries).get("killed").leading.source == "official"


def test_without_attributed_figures_the_most_conservative_unattributed_leads():
    entries = [entry("killed", 100, source="unattributed", qualifier="about", item_id=1),
               entry("killed", 70, source="unattributed", qualifier="more_than", item_id=2, day=20)]
    assert compute_toll(entries).get("killed").leading.figure.text == "more than 70"


def test_up_to_figure_leads_only_when_it_is_the_only_one():
    assert lead(compute_toll([entry("killed", 100, qualifier="up_to", source="leaked_documents")])
                .get("killed").standings).figure.text == "up to 100"


def test_higher_security_figure_is_recorded_as_a_dispute():
    toll = compute_toll([entry("killed", 77), entry("killed", 90, source="security_sources", qualifier="more_than")])
    assert toll.get("killed").disputes == ("Security sources say more than 90, above Official sources 77",)


def test_official_toll_rises_from_70_to_77_one_change_event():
    before = compute_toll([entry("killed", 70, item_id=1), entry("killed", 100, source="leaked_documents",
                                                                  qualifier="up_to", item_id=1)])
    after = compute_toll([entry("killed", 70, item_id=1), entry("killed", 100, source="leaked_documents",
                                                                 qualifier="up_to", item_id=1),
                          entry("killed", 77, item_id=2, day=20)])
    events = toll_events(before, after, incident="bamako")
    assert [(e.kind, e.key) for e in events] == [("official_rise", "bamako:killed:official-rise:70:77")]
    assert events[0].text == "Official toll (killed) rises from 70 to 77"


def test_official_toll_falls_is_an_event():
    before = compute_toll([entry("injured", 300)])
    after = compute_toll([entry("injured", 300, status="superseded"), entry("injured", 255, item_id=2, day=20)])
    assert [e.kind for e in toll_events(before, after, incident="b")] == ["official_fall"]


def test_new_source_class_is_an_event_and_perpetrator_claim_too():
    before = compute_toll([entry("killed", 77)])
    after = compute_toll([entry("killed", 77), entry("killed", None, source="perpetrator_claim", qualifier="vague",
                                                     vague="hundreds", item_id=2)])
    events = toll_events(before, after, incident="b")
    assert [(e.kind, e.source) for e in events] == [("new_source", "perpetrator_claim")]


def test_new_maximum_from_another_source_is_an_event():
    before = compute_toll([entry("killed", 77), entry("killed", 80, source="security_sources", item_id=2)])
    after = compute_toll([entry("killed", 77), entry("killed", 80, source="security_sources", item_id=2),
                          entry("killed", 95, source="security_sources", item_id=3, day=21)])
    events = toll_events(before, after, incident="b")
    assert [(e.kind, e.key) for e in events] == [("new_maximum", "b:killed:max:95")]


def test_first_official_number_after_some_fatalities_is_a_rise():
    before = compute_toll([entry("killed", None, qualifier="vague", vague="some")])
    after = compute_toll([entry("killed", None, qualifier="vague", vague="some"), entry("killed", 77, item_id=2)])
    assert [(e.kind, e.key) for e in toll_events(before, after, incident="b")] == [
        ("official_rise", "b:killed:official-rise:some:77")]


def test_timeline_flags_only_the_figure_that_leads_at_the_end_of_an_article(founding):
    same_day = [c for c in founding.get("killed").timeline if c.when.day == 19]
    assert [(c.source, c.leading) for c in same_day if c.leading] == [("official", True)]


def test_recomputing_the_same_ledger_gives_no_event_and_stable_keys():
    toll = compute_toll(gold_entries())
    assert toll_events(toll, compute_toll(gold_entries()), incident="bamako") == []
    first = [e.key for e in toll_events(None, toll, incident="bamako")]
    assert first == [e.key for e in toll_events(None, compute_toll(gold_entries()), incident="bamako")]
    assert len(first) == len(set(first))


def test_story_event_key_is_the_same_for_syndicated_copies():
    a = story_event("bamako", story_id=7, outlet="AP", title="x")
    b = story_event("bamako", story_id=7, outlet="ABC", title="x")
    assert a.key == b.key == "bamako:story:7"


@pytest.mark.parametrize("figure,text", [
    (Figure(77, "exact"), "77"), (Figure(75, "more_than"), "more than 75"), (Figure(100, "up_to"), "up to 100"),
    (Figure(None, "vague", vague="hundreds"), "hundreds"), (Figure(None, "range", low=70, high=100), "70–100"),
])
def test_figure_text_reads_like_an_editor_would_say_it(figure, text):
    assert figure.text == text
