"""Ingest: feeds in, items stored once. Fetching politely (and never inside the network for feeds
added in Slack), parsing, one poll end to end in one transaction, many feeds at once, the
scheduler, the parse processes and the ingest worker process, the feeds admins add from Slack, the article pages of
full_text feeds, WebSub pushes from the hubs feeds advertise, and the distributed mode (a
queue of polls for fetch-and-parse workers on other machines)."""

from bot.wing import public_names

_EXPORTS = {
    "make_client": "fetch", "fetch": "fetch", "FetchResult": "fetch",
    "parse_feed": "parse", "NotAFeed": "parse",
    "poll_feed": "pipeline", "PollResult": "pipeline", "ingest_fetched": "pipeline",
    "store_items": "store", "poll_all": "poller", "FeedScheduler": "scheduler", "IngestWorker": "worker",
    "ParsePool": "parse_pool", "PooledIngest": "parse_pool",
    "FeedAdminError": "feed_admin", "add_feed": "feed_admin", "list_feeds_text": "feed_admin",
    "parse_add_args": "feed_admin", "set_feed_state": "feed_admin", "test_feed": "feed_admin",
    "export_slack_feeds": "feed_admin", "run_feeds_command": "feed_admin", "FEEDS_USAGE": "feed_admin",
    "WebSub": "websub", "callback_app": "websub_http", "callback_server": "websub_http",
    "adaptive_note": "intervals",
    "worker_command": "remote_worker", "RemotePolls": "remote_polls", "PollQueue": "poll_queue",
    "fetch_pending_articles": "articles", "fetch_after_poll": "articles", "article_health_line": "articles",
}
__all__ = sorted(_EXPORTS)
__getattr__ = public_names(__name__, _EXPORTS)
