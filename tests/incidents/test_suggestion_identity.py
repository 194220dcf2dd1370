"""An emerging incident is recognised early and told once: words weigh their rarity in news at large (so three
outlets' first reports group even while little is stored), and an event the sliding window brings back under
another first story is the suggestion already made, not a new one."""

from __future__ import annotations

from datetime import timedelta

from bot.incidents import queue_suggestions
from bot.incidents.suggestions import KnownSuggestions, StoredItem, suggest
from bot.incidents.term_rarity import item_words, load_prior
from tests.incidents.test_suggestions import ATTACK, T0
from tests.slack.test_slack_suggestion_post import store

FIRST_REPORTS = [  # three outlets, three languages' worth of wording; all they share is the town (and a figure)
    StoredItem("Kordavo: gunfire and explosions heard at dawn", "Residents of Kordavo woke to heavy gunfire.",
               T0, "Wire One"),
    StoredItem("Attack near Kordavo airport kills 12", "At least 12 people were killed, a security source said.",
               T0 + timedelta(hours=1), "Daily Two"),
    StoredItem("Kordavo: 12 Tote nach Angriff", "Bei einem Angriff in Kordavo wurden 12 Menschen getötet.",
               T0 + timedelta(hours=2), "Radio Three"),
]


def test_three_outlets_first_reports_group_while_little_is_stored():
    (found,) = suggest(FIRST_REPORTS, T0 + timedelta(hours=3))
    assert found.outlets == ["Wire One", "Daily Two", "Radio Three"] and "Kordavo" in found.name
    # weighed by these three items alone, the town is on all of them, so it weighs nothing: no event, no suggestion
    assert suggest(FIRST_REPORTS, T0 + timedelta(hours=3), rarity=False) == []


def test_the_rarity_table_knows_common_words_from_rare_names_whatever_their_case():
    prior = load_prior()
    assert prior.items > 10_000
    assert prior.df["attack"] > 100 > prior.df.get("bamako", 0)  # "Attack" in title-case headlines is no name
    assert "kordavo" not in prior.df  # never seen: as rare as can be
    assert item_words("Attack near Kordavo kills 12 in 2024") == {"attack", "near", "kordavo", "kills", "#12", "in"}


def test_an_event_back_under_another_first_story_is_the_suggestion_already_queued(db):
    later = [StoredItem(f"Zorvath market: funerals held in Kessaly ({n})",
                        f"The toll of the Zorvath market attack in Kessaly stands at {21 + n} killed, officials said.",
                        T0 + timedelta(hours=44 + n), f"Outlet {n}") for n in range(3)]
    store(db, ATTACK + later)
    assert len(queue_suggestions(db, channel="C1", at=T0 + timedelta(hours=5))) == 1
    at = T0 + timedelta(hours=49)  # the first report has left the 48-hour window: the event has another first story
    (again,) = suggest([*ATTACK[1:], *later], at)
    assert again.key != suggest(ATTACK, T0 + timedelta(hours=5))[0].key
    assert queue_suggestions(db, channel="C1", at=at) == []
    rows = list(db.query("select idempotency_key from outbox where kind = 'suggestion'"))
    assert len(rows) == 1


def test_known_suggestions_match_by_any_shared_story():
    known = KnownSuggestions()
    known.remember("suggestion:a", ["s1", "s2"])
    assert known.known_as("suggestion:b", ["s9", "s2"]) == "suggestion:a"
    assert known.known_as("suggestion:a", []) == "suggestion:a"
    assert known.known_as("suggestion:c", ["s7"]) is None
