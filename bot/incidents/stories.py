"""Near-duplicate detection: one wire story republished by several outlets is one story; pure.

Method: word 4-shingles of the folded text, one-permutation MinHash (one hash per shingle, NUM_SLOTS
bins, empty bins filled from the next non-empty one), so that the fraction of equal slots estimates the
Jaccard similarity of the two shingle sets. Band keys (BANDS bands of ROWS slots) let a store find
candidates with an index instead of comparing every pair; similarity() then confirms.
Hashes are crc32, fixed multipliers and blake2b, never Python's hash(), so signatures are the same in every
process and release.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable

from bot.incidents.gazetteer import fold

SHINGLE = 4
NUM_SLOTS = 64
BANDS = 32  # 2 slots a band: a copy at similarity 0.6 shares a band key with probability > 0.99
ROWS = NUM_SLOTS // BANDS
THRESHOLD = 0.6  # wire copies with a different headline and the outlet's boilerplate score 0.7-0.95
_MASK64 = (1 << 64) - 1
_MASK63 = (1 << 63) - 1  # band keys fit SQLite's signed 64-bit INTEGER as they are
_MIXERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5, 0xD6E8FEB86659FD93)
_SPACE = 1 << 56  # hash values stay below this after the slot bits are taken off


def shingles(text: str, *, size: int = SHINGLE) -> set[int]:
    """64-bit hashes of the text's overlapping word sequences (the whole text when it is shorter).

    Each word is hashed once (crc32, in C) and a shingle's hash mixes its words' hashes with a
    different odd multiplier per position, so word order counts. This is ~5x cheaper than hashing
    every shingle's text, and it is as stable across processes and releases (no Python hash()).
    """
    words = fold(text).split()
    if not words:
        return set()
    hashes = [zlib.crc32(word.encode()) for word in words]
    if len(hashes) < size:
        hashes += [0] * (size - len(hashes))  # a short text is one shingle, padded
    if size == 4:  # the common case, as one comprehension: a Python-level loop per shingle costs 3x more
        m0, m1, m2, m3 = _MIXERS[:4]
        mixed = [((a + 1) * m0 ^ (b + 1) * m1 ^ (c + 1) * m2 ^ (d + 1) * m3) & _MASK64
                 for a, b, c, d in zip(hashes, hashes[1:], hashes[2:], hashes[3:])]
    else:
        mixed = []
        for parts in zip(*(hashes[i:len(hashes) - size + 1 + i] for i in range(size))):
            h = 0
            for multiplier, part in zip(_MIXERS, parts):
                h ^= (part + 1) * multiplier
            mixed.append(h & _MASK64)
    return {h ^ (h >> 29) for h in mixed}  # fold the high bits down: slots are taken from the low bits


def signature(text: str, *, slots: int = NUM_SLOTS) -> tuple[int, ...]:
    """A MinHash signature of the text; equal texts give equal signatures, similar texts similar ones."""
    mins = [_SPACE] * slots
    for h in shingles(text):
        slot, value = h % slots, (h // slots) % _SPACE
        if value < mins[slot]:
            mins[slot] = value
    if all(v == _SPACE for v in mins):
        return tuple(mins)
    # Densify: an empty slot borrows from the next filled one (rotation), keeping the estimate unbiased enough.
    filled = [i for i, v in enumerate(mins) if v != _SPACE]
    out = list(mins)
    for i, v in enumerate(mins):
        if v == _SPACE:
            donor = next((j for j in filled if j > i), filled[0])
            out[i] = (mins[donor] + (donor - i) % slots * 0x9E3779B97F4A7C15) % _SPACE
    return tuple(out)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets, 0.0 to 1.0."""
    if not a or len(a) != len(b) or a[0] == _SPACE or b[0] == _SPACE:
        return 0.0  # an empty text (all slots empty after densifying nothing) is like nothing
    return sum(x == y for x, y in zip(a, b)) / len(a)


def band_keys(sig: tuple[int, ...], *, bands: int = BANDS) -> tuple[str, ...]:
    """Index keys: two texts sharing any key are candidate copies (store them, look them up)."""
    return tuple(f"{band}:{key:016x}" for key, band in band_key_ints(sig, bands=bands))


def band_key_ints(sig: tuple[int, ...], *, bands: int = BANDS) -> list[tuple[int, int]]:
    """The band keys as (non-negative 63-bit integer, band): the form the database stores.

    A band's slot values are mixed with a different odd multiplier each (in Python integers, no
    hashing library, no text): slot values are already uniform hashes, so this only has to tell
    one tuple of values from another. Changing this mixing changes the stored keys: a migration
    must rebuild them from the stored signatures (as m009 does).
    """
    rows = len(sig) // bands
    if rows == 2:  # the configured layout, as one comprehension
        m0, m1 = _MIXERS[:2]
        return [(((a + 1) * m0 ^ (b + 1) * m1) & _MASK63, band)
                for band, (a, b) in enumerate(zip(sig[0::2], sig[1::2]))]
    if rows > len(_MIXERS):
        raise ValueError(f"{rows} slots a band: at most {len(_MIXERS)}")
    out = []
    for band in range(bands):
        key = 0
        for multiplier, value in zip(_MIXERS, sig[band * rows:(band + 1) * rows]):
            key ^= (value + 1) * multiplier
        out.append((key & _MASK63, band))
    return out


def fingerprint(sig: tuple[int, ...]) -> str:
    """A short stable hex name for a signature (exact copies share it; near copies need similarity())."""
    return hashlib.blake2b(",".join(map(str, sig)).encode(), digest_size=8).hexdigest()


def same_story(a: str, b: str, *, threshold: float = THRESHOLD) -> bool:
    """True when two texts are copies of one story (republished, re-headlined, boilerplate added)."""
    return similarity(signature(a), signature(b)) >= threshold


def assign_story(sig: tuple[int, ...], candidates: Iterable[tuple[int, tuple[int, ...]]], *,
                 threshold: float = THRESHOLD) -> int | None:
    """The story id of the most similar earlier story at or above threshold, else None (a new story)."""
    best: tuple[float, int] | None = None
    for story_id, other in candidates:
        score = similarity(sig, other)
        # Highest similarity wins; on a tie the older (smaller) story id, so the answer never depends on order.
        if score >= threshold and (best is None or (score, -story_id) > (best[0], -best[1])):
            best = (score, story_id)
    return best[1] if best else None


def group_stories(texts: Iterable[tuple[int, str]], *, threshold: float = THRESHOLD) -> dict[int, int]:
    """item id -> story id for a batch; a story is named by its first item, so re-running gives the same ids."""
    stories: list[tuple[int, tuple[int, ...]]] = []
    result: dict[int, int] = {}
    index: dict[str, list[int]] = {}
    for item_id, text in sorted(texts):
        sig = signature(text)
        candidate_ids = {sid for key in band_keys(sig) for sid in index.get(key, ())}
        story = assign_story(sig, ((sid, s) for sid, s in stories if sid in candidate_ids), threshold=threshold)
        if story is None:
            story = item_id
            stories.append((story, sig))
            for key in band_keys(sig):
                index.setdefault(key, []).append(story)
        result[item_id] = story
    return result
