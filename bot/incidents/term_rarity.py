"""How rare a word is in news at large: a document-frequency table learned from real feeds, for the event grouping.

The event grouping (bot/incidents/events.py) weighs the terms items share by their rarity. Measured only over the
items at hand, rarity is noise while few items are stored: twenty items about one attack in Bamako make "Bamako"
the commonest word there is, and the items never group. This table, counted over 14,863 real feed items of
2020-21 (../shared/corpus/incidents/items.jsonl: BBC, Al Jazeera English, NYT, WSJ, GMA News), is the prior the
grouping adds its own counts to: "bamako" is on 3 of them, "attack" on 145, "police" on 795.

Every word is counted, whatever its case, once per item (folded as the grouping folds its terms), so that a word
capitalised only in title-case headlines ("Attack") is known to be common. Words on fewer than MIN_COUNT items
are left out: they weigh as unseen, i.e. as rare as can be.

Rebuild (after changing signature_terms' folding): .venv/bin/python -m bot.incidents.term_rarity
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

from bot.incidents.gazetteer import fold

TABLE = Path(__file__).resolve().parent / "data" / "term_df.tsv"
SOURCE = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "incidents" / "items.jsonl"
MIN_COUNT = 3


class TermPrior:
    """items: how many items were counted; df: folded term -> on how many of them it appeared."""

    def __init__(self, items: int, df: dict[str, int]):
        self.items, self.df = items, df


def item_words(title: str, summary: str = "") -> set[str]:
    """The folded words and figures ("#97") of one item, each once, as the grouping makes its terms."""
    from bot.incidents.events import _TOKEN, number_term  # the grouping's own tokens

    words = set()
    for match in _TOKEN.finditer(f"{title} {summary}"):
        word = match.group(0)
        term = number_term(word) if word[0].isdigit() else fold(word).replace(" ", "")
        if term:
            words.add(term)
    return words


@lru_cache(maxsize=1)
def load_prior() -> TermPrior:
    """The shipped table (first line: the number of items counted)."""
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    items = int(lines[0].split("\t")[1])
    return TermPrior(items, {term: int(count) for term, count in (line.split("\t") for line in lines[1:])})


def build(rows) -> tuple[int, Counter]:
    """(items, df) over feed items ({"title", "summary"} dicts)."""
    df: Counter = Counter()
    items = 0
    for row in rows:
        items += 1
        df.update(item_words(row.get("title") or "", row.get("summary") or ""))
    return items, df


def main() -> int:
    if not SOURCE.exists():
        print(f"needs {SOURCE} (the shared corpus beside the checkout)", file=sys.stderr)
        return 2
    with SOURCE.open(encoding="utf-8") as lines:
        items, df = build(json.loads(line) for line in lines if line.strip())
    kept = sorted(((t, c) for t, c in df.items() if c >= MIN_COUNT and t), key=lambda tc: (-tc[1], tc[0]))
    TABLE.write_text(f"#items\t{items}\n" + "".join(f"{t}\t{c}\n" for t, c in kept), encoding="utf-8")
    print(f"{TABLE}: {len(kept)} terms over {items} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
