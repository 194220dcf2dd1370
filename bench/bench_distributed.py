"""The distributed mode's fetch+parse throughput with 1 and 2 worker processes, pinned to separate cores.

    .venv/bin/python bench/bench_distributed.py [--feeds 600] [--threads 4] [--max-seconds 180]

A private redis-server (Debian's package) on a free 127.0.0.1 port; bench_scale.py's publisher in its own
process serving N RSS feeds (15 items each, about 9 kB); `python -m bot worker` processes, the first
pinned to core 0 (`taskset -c 0`), the second to core 1. For 1 and then 2 workers: N cold polls (no
ETag, no block memory: every feed fetched whole and parsed) are queued at once, and the time until all
N results wait in "stored" gives the workers' polls/s. Then the same N polls warm (the ETags the cold
pass got: every answer a 304). Last, the one writer (the bot's IngestWorker child, through the
RemotePolls consumer) stores the cold results of the 2-worker pass into a fresh database, then the warm
ones: its stored polls/s. Every phase is bounded by --max-seconds. See bench/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from bench_scale import _publisher, feed_id, proc_stat  # noqa: E402  (the bench folder is a script folder)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            client.ping()
            return server, f"redis://127.0.0.1:{port}/0"
        except redis.RedisError:
            time.sleep(0.1)
    raise SystemExit("redis-server did not answer within 20 s")


def start_workers(count: int, env: dict, threads: int, folder: Path) -> list[subprocess.Popen]:
    workers = []
    for core in range(count):
        log = folder / f"worker{core}.log"
        workers.append(subprocess.Popen(["taskset", "-c", str(core), sys.executable, "-m", "bot", "worker",
                                         "--threads", str(threads)], cwd=REPO, env=env, stdout=open(log, "w"),
                                        stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    for core, worker in enumerate(workers):
        while "taking polls" not in (folder / f"worker{core}.log").read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {core} did not start: {(folder / f'worker{core}.log').read_text()}")
            time.sleep(0.1)
    return workers


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(processes: list[subprocess.Popen]) -> float:
    return sum((proc_stat(p.pid) or (0, 0.0))[1] for p in processes)


def drain_stored(queue, count: int) -> list:
    """The results waiting in "stored", taken off Redis as they are (the bench stores them later)."""
    from dramatiq.message import Message

    client, key = queue.broker.client, f"{queue.broker.namespace}:stored.msgs"
    messages = [Message.decode(data) for data in client.hvals(key)]
    client.delete(key, f"{queue.broker.namespace}:stored")
    assert len(messages) == count, (len(messages), count)
    return [message.args[0] for message in messages]


def pass_of(queue, orders: list, *, workers: int, env: dict, threads: int, folder: Path, bound: float):
    """Queue the orders, then time how long `workers` pinned processes take to fetch and parse them all."""
    from bot.ingest.poll_queue import STORED

    running = start_workers(workers, env, threads, folder)
    cpu_before = cpu_seconds(running)
    began = time.monotonic()
    for order in orders:
        queue.send_poll(order)
    while queue.waiting(STORED) < len(orders):
        if time.monotonic() - began > bound:
            stop(running)
            raise SystemExit(f"{workers} worker(s): only {queue.waiting(STORED)} of {len(orders)} polls in {bound} s")
        time.sleep(0.05)
    seconds = time.monotonic() - began
    cpu = cpu_seconds(running) - cpu_before
    stop(running)
    return seconds, cpu, drain_stored(queue, len(orders))


def writer_rate(settings, results: list, *, bound: float) -> float:
    """The bot's one writer (its IngestWorker child, fed by the RemotePolls consumer) storing `results`."""
    from bot.ingest.remote_polls import RemotePolls
    from bot.ingest.worker import IngestWorker

    worker = IngestWorker(settings.db_path, parse_workers=1)
    remote = RemotePolls(settings)
    stored, all_in = [0], threading.Event()

    def counted(result) -> None:
        stored[0] += 1
        if stored[0] == len(results):
            all_in.set()

    worker.store_remote(results[0], settings=settings)  # the child starts (and loads its models) before the clock
    remote.start_writer(store=lambda done: worker.store_remote(done, settings=settings), on_stored=counted)
    stored[0] = 1
    began = time.monotonic()
    for done in results[1:]:
        remote.queue.send_done(done)
    finished = all_in.wait(timeout=bound)
    seconds = time.monotonic() - began
    remote.close()
    worker.close()
    if not finished:
        raise SystemExit(f"the writer stored {stored[0]} of {len(results)} polls in {bound} s")
    return (len(results) - 1) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=600, help="feeds served, each polled once per pass (default 600)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--max-seconds", type=float, default=180.0, help="bound on each phase (default 180)")
    args = parser.parse_args(argv)
    if not shutil.which("redis-server") or not shutil.which("taskset"):
        print("needs redis-server (Debian package redis-server) and taskset (util-linux)", file=sys.stderr)
        return 2
    if (os.cpu_count() or 1) < 2:
        print("needs 2 cores to pin 2 workers apart", file=sys.stderr)
        return 2
    import dataclasses

    from bot.config import load_settings
    from bot.ingest.poll_queue import PollOrder, PollQueue
    from bot.models import FeedConfig
    from db import open_database
    from db.feeds import sync_file_feeds

    folder = Path(tempfile.mkdtemp(prefix="bench_distributed_"))
    redis_server, url = start_redis(folder)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    publisher = context.Process(target=_publisher, args=(theirs, args.feeds, 0.0, 0.0, 15), daemon=True)
    publisher.start()
    try:
        port = ours.recv() if ours.poll(120) else None
        if port is None:
            raise SystemExit("the publisher did not start")
        env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "INCIDENT_DESK_"))}
        env.update({"INCIDENT_DESK_QUEUE_URL": url, "INCIDENT_DESK_PER_HOST": "64", "INCIDENT_DESK_HOST_GAP": "0",
                    "INCIDENT_DESK_DB": str(folder / "bench.db")})
        settings = load_settings(environ=env)
        queue = PollQueue(settings)
        feeds = [FeedConfig(id=feed_id(i), url=f"http://127.0.0.1:{port}/{feed_id(i)}.xml", interval_seconds=300)
                 for i in range(args.feeds)]
        cold = lambda: [PollOrder(f"cold-{time.time_ns()}-{f.id}", f, row={}, memory=None) for f in feeds]  # noqa: E731
        print(f"{args.feeds} feeds, {args.threads} threads per worker, workers pinned to cores 0 and 1; "
              f"{os.cpu_count()} cores, shared with the publisher, Redis and this bench")
        rates = {}
        for workers in (1, 2):
            seconds, cpu, results = pass_of(queue, cold(), workers=workers, env=env, threads=args.threads,
                                            folder=folder, bound=args.max_seconds)
            rates[workers] = args.feeds / seconds
            parse = sum(r.parse_seconds for r in results) / len(results) * 1000
            print(f"cold, {workers} worker(s): {rates[workers]:.1f} polls/s ({seconds:.1f} s), worker CPU "
                  f"{cpu / args.feeds * 1000:.1f} ms per poll, parse {parse:.1f} ms per poll")
        print(f"ratio 2 workers / 1: {rates[2] / rates[1]:.2f}")
        warm_orders = [PollOrder(f"warm-{r.feed.id}", r.feed, row={"etag": r.fetched.etag,
                                                                   "last_modified": r.fetched.last_modified},
                                 memory=None) for r in results]
        seconds, cpu, warm = pass_of(queue, warm_orders, workers=2, env=env, threads=args.threads, folder=folder,
                                     bound=args.max_seconds)
        print(f"warm (304), 2 workers: {args.feeds / seconds:.1f} polls/s, worker CPU "
              f"{cpu / args.feeds * 1000:.2f} ms per poll; {sum(r.kind == 'not_modified' for r in warm)} answered 304")
        size = lambda done: len(pickle.dumps(done))  # noqa: E731  (what a result weighs in Redis)
        print(f"result size: cold {sum(map(size, results)) / len(results) / 1024:.1f} kB (its body "
              f"{sum(len(r.fetched.body) for r in results) / len(results) / 1024:.1f} kB), warm "
              f"{sum(map(size, warm)) / len(warm) / 1024:.1f} kB")
        db = open_database(settings.db_path)
        sync_file_feeds(db, feeds)
        db.close()
        writer_settings = dataclasses.replace(settings)
        print(f"writer, cold results (15 new items each): {writer_rate(writer_settings, results, bound=args.max_seconds):.1f}"
              " stored polls/s")
        print(f"writer, warm results (health only): {writer_rate(writer_settings, warm, bound=args.max_seconds):.1f}"
              " stored polls/s")
        queue.close()
    finally:
        ours.send("report")
        publisher.join(timeout=30)
        redis_server.terminate()
        redis_server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
