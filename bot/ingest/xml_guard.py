"""The XML bomb guard: a feed's DOCTYPE may not grow the document past a bound when expanded.

Runs on the bytes before feedparser sees them (its fallback parser expands entities in memory).
"""

from __future__ import annotations

import codecs
import re


class NotAFeed(Exception):
    """The bytes are not a feed: an HTML page, an empty body, garbage. The message says which."""


# At most this many characters may be added to a document by expanding the
# entities its DOCTYPE declares. Real feeds declare none or a few short ones;
# an XML bomb (quadratic blow-up, billion laughs) declares far more, and
# feedparser's fallback parser expands them in memory (300 MB for a 100 kB file).
MAX_ENTITY_EXPANSION = 1_000_000
ENTITY_MARKERS = tuple({"ENTITY".encode(codec) for codec in
                         ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")})
_FIRST_ELEMENT = re.compile(r"<\w")
_ENTITY_DECL = re.compile(r"""<!ENTITY\s+(%\s+)?([^\s"'%>]+)\s+(?:"([^"]*)"|'([^']*)'|(?:SYSTEM|PUBLIC)\b)""")
_ENTITY_REF = re.compile(r"&([A-Za-z_:][\w.:-]*);")


def refuse_entity_bombs(body: bytes) -> None:
    """NotAFeed when the DOCTYPE declares entities that would blow the document up in memory.

    Checked before feedparser sees the bytes: feedparser keeps a DOCTYPE's simple
    internal entities, and when expat stops an amplification attack its loose
    fallback parser expands them anyway. Cheap for ordinary feeds: the work
    starts only when the word ENTITY appears in the body.
    """
    if not any(marker in body for marker in ENTITY_MARKERS):
        return
    text = _decode_for_sniffing(body)
    first = _FIRST_ELEMENT.search(text)  # entities can only be declared before the root element
    head, rest = (text[:first.start()], text[first.start():]) if first else (text, "")
    values: dict[str, str] = {}
    for parameter, name, double, single in (m.groups() for m in _ENTITY_DECL.finditer(head)):
        if not parameter and (double is not None or single is not None):
            values.setdefault(name, double if double is not None else single)
    if not values:
        return
    sizes: dict[str, int] = {}

    def expanded(name: str, stack: frozenset) -> int:
        # Length of the entity's replacement text with nested references expanded (a cycle counts as 0).
        if name in sizes:
            return sizes[name]
        if name not in values or name in stack:
            return 0
        value = values[name]
        size = len(value) + sum(expanded(ref, stack | {name}) - len(ref) - 2
                                for ref in _ENTITY_REF.findall(value))
        sizes[name] = size  # Python integers do not overflow: 10**30 for a billion-laughs chain is fine
        return size

    growth = 0
    try:
        for ref in _ENTITY_REF.findall(rest):
            if ref in values:
                growth += max(0, expanded(ref, frozenset()) - len(ref) - 2)
                if growth > MAX_ENTITY_EXPANSION:
                    break
    except RecursionError:  # hundreds of entities nested in each other: nobody writes a feed like that
        growth = MAX_ENTITY_EXPANSION + 1
    if growth > MAX_ENTITY_EXPANSION:
        raise NotAFeed(f"not a feed: refused an XML entity bomb (the DOCTYPE's entities would add over "
                       f"{MAX_ENTITY_EXPANSION:,} characters)")


def _decode_for_sniffing(body: bytes) -> str:
    """The body as text, well enough to find declarations: UTF-16/32 and EBCDIC by BOM or pattern, else Latin-1."""
    for prefix, codec in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                          (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                          (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
                          (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"), (b"\x4c\x6f\xa7\x94", "cp037")):
        if body.startswith(prefix):
            return body.decode(codec, "replace")
    # Any ASCII-compatible encoding (UTF-8, Latin-1, Windows-125x...) keeps markup bytes as they are.
    return body.decode("latin-1")
