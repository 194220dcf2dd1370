"""Near-duplicate detection: a wire story republished by several outlets is one story."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from bot.incidents.stories import (THRESHOLD, assign_story, band_keys, fingerprint, group_stories, same_story,
                             signature, similarity)

SEEDS = Path(__file__).parents[2] / "bot" / "demo" / "articles"  # the seed articles, shipped with the demo
WIRE = (SEEDS / "002_c6df8b2cbe4401de.txt").read_text(encoding="utf-8")


def republished(text: str) -> str:
    """How a second outlet runs a wire story: own headline, a dateline tweak, its boilerplate at the end."""
    body = text.replace("On Thursday,", "BAMAKO (AP) — On Thursday,", 1).replace("Mali’s capital", "the Malian capital")
    return ("Mali: dozens killed as jihadists hit Bamako\n" + body
            + "\nPlease follow and like us:\nAdd a Comment\n© 2024 Some Outlet. All rights reserved.")


def test_identical_texts_have_similarity_one_and_the_same_fingerprint():
    assert similarity(signature(WIRE), signature(WIRE)) == 1.0
    assert fingerprint(signature(WIRE)) == fingerprint(signature(WIRE))


def test_wire_copy_with_new_headline_and_boilerplate_is_the_same_story():
    assert similarity(signature(WIRE), signature(republished(WIRE))) >= 0.85
    assert same_story(WIRE, republished(WIRE))


def test_spacing_case_and_curly_quotes_do_not_make_a_new_story():
    variant = WIRE.upper().replace("’", "'").replace(" ", "  ")
    assert similarity(signature(WIRE), signature(variant)) == 1.0


def test_independent_articles_on_the_same_attack_are_different_stories():
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    names = sorted(texts)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert similarity(signature(texts[a]), signature(texts[b])) < 0.2, (a, b)


def test_half_an_article_is_not_the_same_story():
    assert not same_story(WIRE, WIRE[: len(WIRE) // 3])


def test_copies_share_a_band_key_so_an_index_finds_them():
    assert set(band_keys(signature(WIRE))) & set(band_keys(signature(republished(WIRE))))


def test_group_stories_names_each_story_by_its_first_item_whatever_the_order():
    other = (SEEDS / "001_f906829c3a93a056.txt").read_text(encoding="utf-8")
    batch = [(10, WIRE), (11, other), (12, republished(WIRE)), (13, republished(other))]
    expected = {10: 10, 11: 11, 12: 10, 13: 11}
    assert group_stories(batch) == expected
    shuffled = batch[:]
    random.Random(4).shuffle(shuffled)
    assert group_stories(shuffled) == expected


def test_assign_story_picks_the_most_similar_story_above_threshold_or_none():
    sig = signature(republished(WIRE))
    other = signature((SEEDS / "000_5cdb089f230bfa05.txt").read_text(encoding="utf-8"))
    assert assign_story(sig, [(1, other), (2, signature(WIRE))]) == 2
    assert assign_story(sig, [(1, other)]) is None
    assert 0 < THRESHOLD < 1


def test_empty_text_is_similar_to_nothing():
    assert similarity(signature(""), signature(WIRE)) == 0.0
    assert not same_story("", "")


def test_signature_is_the_same_in_another_process_with_another_hash_seed():
    code = ("import sys; sys.path.insert(0, %r); from bot.incidents.stories import fingerprint, signature; "
            "print(fingerprint(signature(%r)))") % (str(Path(__file__).parents[2]), WIRE[:500])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123"}).stdout.strip()
    assert out == fingerprint(signature(WIRE[:500]))


def test_band_keys_as_integers_are_the_stored_form_of_the_text_keys():
    from db.items import band_key_columns
    from bot.incidents.stories import band_key_ints

    sig = signature(WIRE)
    assert band_key_ints(sig) == [band_key_columns(key) for key in band_keys(sig)]
