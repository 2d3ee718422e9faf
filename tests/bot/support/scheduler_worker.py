"""Subprocess of the leader-lease test: one `parley run`-like process running the real scheduler.

    python -m tests.bot.support.scheduler_worker DATABASE_URL RECEIPTS PROCESS_ID

It prints "ready" once imported, starts its scheduler when a line arrives on stdin (so a
test can start processes together and still choose who starts first), and serves no chats; its outbox's only platform ("fake") appends receipts tagged with
PROCESS_ID, so the test can see which process ran the delivery job.
"""
from __future__ import annotations

import asyncio
import logging
import sys

from bot.config import Settings
from bot.delivery.outbox import Outbox
from bot.scheduler import build_scheduler
from bot.services import Services
from storage.db import make_engine
from tests.bot.support.platforms import ReceiptFile
from tests.bot.support.rows import tiny_profile


async def run(database_url: str, receipts: str, process_id: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, lease_seconds=2, delivery_interval=0.2)
    services = Services(settings, make_engine(database_url), tiny_profile())
    scheduler = build_scheduler(services, Outbox({"fake": ReceiptFile(receipts, tag=process_id)}),
                                process_id=process_id)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    scheduler.start()
    print("scheduler started", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run(*sys.argv[1:4]))
