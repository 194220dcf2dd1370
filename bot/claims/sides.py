"""The side a figure is on, when the text says so: "dix-sept morts côté ennemi" are attackers,
"côté ami, 29 soldats sont tombés" soldiers (Sahel army communiqués count both sides this way)."""

from __future__ import annotations

import re

# "dix-sept morts côté ennemi", "côté ami, 29 soldats sont tombés": the side the text puts them on.
_SIDE_AFTER = re.compile(r"\s*,?\s*(?:du\s+|dans\s+le\s+)?(?:côté|camp)\s+(?P<side>ennemi|adverse|terroriste|des\s+assaillants|"
                         r"des\s+terroristes|ami|des\s+FDS|de\s+l['’]armée)\b", re.IGNORECASE)
_SIDE_BEFORE = re.compile(r"(?:côté|camp)\s+(?P<side>ennemi|adverse|terroriste|des\s+assaillants|des\s+terroristes|ami|"
                          r"des\s+FDS|de\s+l['’]armée)\s*[,:]\s*$", re.IGNORECASE)


def side_of(sentence: str, start: int, end: int) -> str | None:
    """"attackers" or "soldiers" when the text puts a figure on a side, else None."""
    if "côté" not in sentence and "camp" not in sentence:
        return None  # a cheap test first (speed only)
    m = _SIDE_AFTER.match(sentence, end) or _SIDE_BEFORE.search(sentence, max(0, start - 40), start)
    if m is None:
        return None
    side = m.group("side").lower()
    return "soldiers" if side in ("ami", "des fds", "de l'armée", "de l’armée") else "attackers"
