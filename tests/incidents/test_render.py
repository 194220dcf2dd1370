"""Plain-text replies for /incident: summary, toll, timeline, sources, list, help."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.incidents.commands import COMMANDS, Command
from bot.incidents.matching import Match
from bot.models import Incident
from bot.incidents.render import (SourceRow, figures_by_item, render_candidates, render_event, render_help, render_list,
                        render_match, render_sources, render_summary, render_timeline, render_toll, when)
from bot.incidents.toll import compute_toll
from bot.incidents.toll_events import toll_events
from tests.incidents.test_toll import entry, gold_entries

BAMAKO = Incident(slug="bamako-attacks", name="Bamako attacks", since=date(2024, 9, 17),
                  keywords=("bamako", "gendarmerie school", "JNIM"), channel="#mali-desk")


@pytest.fixture(scope="module")
def toll():
    return compute_toll(gold_entries())


def section(text: str, heading: str) -> str:
    """The lines of one metric's block in a toll reply."""
    blocks = text.split("\n\n")
    return next(b for b in blocks if b.startswith(heading + "\n"))


def test_toll_shows_official_77_killed_and_255_injured_leading(toll):
    text = render_toll(BAMAKO, toll)
    assert "Leading: 77 (official sources, since 19 Sep 2024)" in section(text, "Killed")
    assert "Leading: 255 (official sources, since 19 Sep 2024)" in section(text, "Injured")


def test_toll_shows_security_sources_latest_after_their_earlier_figures(toll):
    text = render_toll(BAMAKO, toll)
    killed = next(line for line in section(text, "Killed").splitlines() if "Security sources" in line)
    injured = next(line for line in section(text, "Injured").splitlines() if "Security sources" in line)
    assert killed == ("  • Security sources: more than 75 (latest, since 24 Sep 2024; 1 report: "
                      "TRT Afrika (photo credit AA)) after more than 70")
    assert injured.startswith("  • Security sources: more than 250 (latest") and injured.endswith("after about 200")


def test_toll_shows_up_to_100_leaked_and_81_named_victims_as_a_lower_bound(toll):
    text = render_toll(BAMAKO, toll)
    assert "Leaked documents: up to 100" in section(text, "Killed")
    assert "Leading: at least 81" in section(text, "Named victims (a lower bound on the dead)")


def test_toll_keeps_the_armed_groups_hundreds_apart_from_the_range(toll):
    text = render_toll(BAMAKO, toll)
    block = section(text, "Killed or injured")
    assert "Claimed by the armed group, not in the range: hundreds" in block
    assert "Range" not in block and "Leading" not in block
    assert all("hundreds" not in line for line in text.splitlines() if line.strip().startswith("Range"))


def test_toll_lists_disputes(toll):
    assert "! Leaked documents say up to 100, possibly above Official sources 77" in render_toll(BAMAKO, toll)


def test_toll_without_figures_says_so():
    assert "No casualty figure reported yet." in render_toll(BAMAKO, compute_toll([]))


def test_summary_gives_leading_figures_claims_and_where_to_look_next(toll):
    text = render_summary(BAMAKO, toll, stories=4, outlets=4)
    lines = text.splitlines()
    assert lines[0] == "Bamako attacks (bamako-attacks)"
    assert "Killed: 77 (official sources) · range more than 70 to up to 100 · 2 disputes" in lines
    assert "Claimed by the armed group: hundreds killed or injured" in lines
    assert "Named victims: at least 81" in lines
    assert lines[-1] == "More: /incident bamako-attacks toll | timeline | sources"


def test_timeline_is_in_publication_order_and_marks_the_leading_figure(toll):
    lines = render_timeline(BAMAKO, toll).splitlines()[1:]
    days = [int(line.split()[1]) for line in lines]
    assert days == sorted(days)
    assert "19 Sep 2024 12:00 UTC official sources: 77 killed (now leading; was some)" in "\n".join(lines)
    assert lines[-1].startswith("• 24 Sep 2024 12:00 UTC security sources: more than 250 injured (was about 200)")


def test_sources_list_every_article_with_outlet_time_link_and_figures():
    entries = gold_entries()
    figures = figures_by_item(entries)
    rows = [SourceRow(outlet="TRT Afrika", published=datetime(2024, 9, 24, 12, tzinfo=timezone.utc),
                      title="Mali's Goita reviews security strategy", link="https://example.org/1",
                      figures=figures[1], outlets=("TRT Afrika", "AA"), terms=("place:Bamako",)),
            SourceRow(outlet="Some blog", published=datetime(2024, 9, 18, tzinfo=timezone.utc), title="No figures")]
    text = render_sources(BAMAKO, rows)
    lines = text.splitlines()
    assert lines[0] == "Bamako attacks (bamako-attacks) — sources (2)"
    assert lines[1].startswith("• 18 Sep 2024 00:00 UTC · Some blog")  # oldest first
    assert ("  figures: unattributed reports: scores killed; security sources: more than 75 killed; "
            "security sources: more than 250 injured") in lines
    assert "  also carried by: AA" in lines
    assert "  https://example.org/1" in lines
    assert "  figures: none" in lines
    assert "  matched on: place:Bamako" in lines


def test_list_shows_each_incident_with_window_and_channel():
    kati = Incident(slug="kati", name="Kati base attack", since=date(2022, 7, 22), until=date(2022, 8, 31),
                    aliases=("Kati camp",))
    lines = render_list([BAMAKO, kati]).splitlines()
    assert lines == ["Tracked incidents (2):",
                     "• kati — Kati base attack · since 2022-07-22 until 2022-08-31 · aka Kati camp",
                     "• bamako-attacks — Bamako attacks · since 2024-09-17 · #mali-desk"]


def test_empty_list_says_how_to_start():
    assert "/incident track" in render_list([])


def test_help_is_generated_from_the_command_table_so_it_cannot_drift():
    text = render_help()
    for command in COMMANDS:
        assert command.usage in text and command.summary in text
    extra = (*COMMANDS, Command("export", "/incident <name> export", "A CSV of the ledger."))
    assert "/incident <name> export" in render_help(extra)


def test_ambiguous_name_reply_lists_candidates():
    other = Incident(slug="bamako-2025", name="Bamako fuel blockade", since=date(2025, 9, 1))
    text = render_candidates("bamako", [BAMAKO, other])
    assert "bamako-attacks (Bamako attacks)" in text and "bamako-2025 (Bamako fuel blockade)" in text


def test_times_are_utc_unless_the_reader_has_a_time_zone():
    moment = datetime(2024, 9, 19, 12, tzinfo=timezone.utc)
    assert when(moment) == "19 Sep 2024 12:00 UTC"
    assert when(moment, tz=ZoneInfo("Europe/Berlin")) == "19 Sep 2024 14:00 CEST"


def test_event_and_match_lines_name_the_incident_and_why():
    before = compute_toll([entry("killed", 70)])
    after = compute_toll([entry("killed", 77, item_id=2, day=20), entry("killed", 70)])
    (event,) = toll_events(before, after, incident="bamako-attacks")
    assert render_event(event) == "[bamako-attacks] Official toll (killed) rises from 70 to 77"
    match = Match(incident="bamako-attacks", score=7.0, terms=("place:Bamako", "actor:JNIM"))
    assert render_match(match) == "bamako-attacks (score 7): place:Bamako, actor:JNIM"
