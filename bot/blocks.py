"""Replies as Block Kit, built with slack_sdk's own models so Slack's limits are checked for us."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

SECTION_LIMIT = 3000  # Slack's limit on a section's text


def text_sections(text: str) -> list[SectionBlock]:
    """Plain text → sections under Slack's size limit, split at blank lines where possible."""
    sections, current = [], ""
    for paragraph in text.split("\n\n"):
        piece = paragraph if not current else f"{current}\n\n{paragraph}"
        if len(piece) <= SECTION_LIMIT:
            current = piece
            continue
        if current:
            sections.append(current)
        while len(paragraph) > SECTION_LIMIT:
            sections.append(paragraph[:SECTION_LIMIT])
            paragraph = paragraph[SECTION_LIMIT:]
        current = paragraph
    if current:
        sections.append(current)
    return [SectionBlock(text=MarkdownTextObject(text=f"```{s}```" if "\n" in s else s, verbatim=True))
            for s in sections]


def reply_blocks(reply) -> list[dict]:
    """A reply's Block Kit: its text, and 'did you mean' buttons when a name was unclear."""
    blocks = text_sections(reply.text)
    if reply.candidates:
        blocks.append(ActionsBlock(block_id="did_you_mean", elements=[
            ButtonElement(text=slug[:75], action_id=f"did_you_mean_{n}", value=slug[:2000])
            for n, slug in enumerate(reply.candidates[:5])]))
    return [block.to_dict() for block in blocks]
