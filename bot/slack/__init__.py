"""Slack: the only wing that speaks it. The bolt app and its serving (HTTP, Socket Mode), Block
Kit and the one mrkdwn escape, messages drawn from the desk's data, the outbox sender (threads,
rate limits, reconciliation) and the desk process."""

from bot.wing import public_names

_EXPORTS = {
    "Deps": "app", "build_app": "app", "make_client": "app", "make_sender": "app", "serve": "app",
    "DeskProcess": "desk_process", "messages": "messages", "with_blocks": "messages",
    "reply_blocks": "blocks", "text_sections": "blocks", "escape": "blocks", "clip": "blocks",
    "DID_YOU_MEAN": "blocks", "SHARE": "blocks", "CLAIM_MENU": "blocks", "NOT_THIS_INCIDENT": "blocks",
    "digest_command": "digest", "SuggestionPoster": "suggestion_post",
    "DigestSchedule": "digest_schedule", "DIGEST_EVERY_SECONDS": "digest_schedule",
}
__all__ = sorted(_EXPORTS)
__getattr__ = public_names(__name__, _EXPORTS)
